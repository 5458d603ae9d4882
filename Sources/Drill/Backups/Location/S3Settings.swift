import DrillSupport
import Foundation
import Objects

/// How to reach an S3-compatible store, as `objects:` and `backup:` write it: `endpoint`,
/// `region`, `addressing`, `ca_bundle`, and credentials by reference (`access_key`,
/// `secret_key`, `session_token`); unset values come from the AWS variables.
struct S3Settings: Sendable {
    /// The keys these settings are read from.
    static let keys = ["endpoint", "region", "addressing", "ca_bundle", "access_key", "secret_key", "session_token", "sse_customer_key"]

    /// The settings as a store spec (its `url` is set by whoever opens it).
    var spec = ObjectStoreSpec(url: "")

    /// Reads the keys from `node` (paths against `baseDirectory`).
    static func parse(_ node: YAMLValue, baseDirectory: String) throws(ConfigError) -> S3Settings {
        var addressing = S3Location.Addressing.path
        if let value = node["addressing"] {
            guard let parsed = S3Location.Addressing(rawValue: try value.string()) else { throw value.error("expected path or virtual-host") }
            addressing = parsed
        }
        var references: [String: String] = [:]
        for key in ["access_key", "secret_key", "session_token", "sse_customer_key"] {
            guard let value = node[key] else { continue }
            let text = try value.string()
            guard SecretReference.parse(text) != nil else {
                throw value.error("give \(key) by reference: env:NAME, file:PATH or command:CMD (never the value)")
            }
            references[key] = text
        }
        let caBundle = try node["ca_bundle"]?.string()
        return S3Settings(
            spec: ObjectStoreSpec(
                url: "", endpoint: try node["endpoint"]?.string(), region: try node["region"]?.string(), addressing: addressing,
                caBundle: caBundle.map { ObjectsParsing.absolute($0, baseDirectory) }, accessKey: references["access_key"],
                secretKey: references["secret_key"], sessionToken: references["session_token"], sseCustomerKey: references["sse_customer_key"]))
    }

    /// The credentials and region as the AWS variables, resolved (for a backup tool's own S3
    /// client, e.g. Barman's boto3), and the endpoint when one is set.
    func toolEnvironment() async throws -> (environment: [String: String], endpoint: String?) {
        let host = ProcessInfo.processInfo.environment
        var environment: [String: String] = [:]
        // Three calls, not a loop over (reference, name) pairs: Swift 6.3.1's optimizer crashed
        // (coroutine splitting, -c release) on a typed-throwing await inside such a loop.
        environment["AWS_ACCESS_KEY_ID"] = try await Self.value(spec.accessKey, orVariable: "AWS_ACCESS_KEY_ID", host)
        environment["AWS_SECRET_ACCESS_KEY"] = try await Self.value(spec.secretKey, orVariable: "AWS_SECRET_ACCESS_KEY", host)
        environment["AWS_SESSION_TOKEN"] = try await Self.value(spec.sessionToken, orVariable: "AWS_SESSION_TOKEN", host)
        environment["AWS_DEFAULT_REGION"] = spec.region ?? host["AWS_REGION"] ?? host["AWS_DEFAULT_REGION"] ?? "us-east-1"
        if let bundle = spec.caBundle ?? host["AWS_CA_BUNDLE"] { environment["AWS_CA_BUNDLE"] = bundle }
        return (environment, spec.endpoint ?? host["AWS_ENDPOINT_URL_S3"] ?? host["AWS_ENDPOINT_URL"])
    }

    /// The reference's value, else the host variable's (nil when neither is set).
    private static func value(_ reference: String?, orVariable name: String, _ host: [String: String]) async throws -> String? {
        guard let reference else { return host[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let parsed = SecretReference.parse(reference) else {
            throw ConfigError(file: name, message: "not a reference: write env:NAME, file:PATH or command:CMD")
        }
        return try await parsed.resolve()
    }
}
