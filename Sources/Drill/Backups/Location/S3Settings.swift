import DrillSupport
import Foundation
import Objects

/// How to reach an S3-compatible store, as `objects:` and `backup:` write it: `endpoint`,
/// `region`, `addressing`, `ca_bundle`, and credentials by reference (`access_key`,
/// `secret_key`, `session_token`); unset values come from the AWS variables.
struct S3Settings: Sendable {
    /// The keys these settings are read from.
    static let keys = ["endpoint", "region", "addressing", "ca_bundle", "access_key", "secret_key", "session_token"]

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
        for key in ["access_key", "secret_key", "session_token"] {
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
                secretKey: references["secret_key"], sessionToken: references["session_token"]))
    }
}
