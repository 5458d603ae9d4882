import DrillSupport
import Foundation

/// How to reach an object store, as the drill file's `objects:` section or the `objects`
/// command's options give it: `s3://bucket/prefix` (with endpoint, region, addressing, CA
/// bundle and credentials by reference) or `file:///folder`.
public struct ObjectStoreSpec: Sendable {
    /// `s3://bucket/prefix` or `file:///path` (or a plain path).
    public var url: String
    public var endpoint: String?
    public var region: String?
    public var addressing: S3Location.Addressing
    public var caBundle: String?
    /// References (`env:NAME`, `file:PATH`, `command:...`); nil: the AWS variables.
    public var accessKey: String?
    public var secretKey: String?
    public var sessionToken: String?
    /// SSE-C: the customer key (base64 of 32 bytes) by reference; every object read sends it.
    public var sseCustomerKey: String?

    /// Creates a spec.
    public init(
        url: String, endpoint: String? = nil, region: String? = nil, addressing: S3Location.Addressing = .path, caBundle: String? = nil,
        accessKey: String? = nil, secretKey: String? = nil, sessionToken: String? = nil, sseCustomerKey: String? = nil
    ) {
        self.sseCustomerKey = sseCustomerKey
        self.url = url
        self.endpoint = endpoint
        self.region = region
        self.addressing = addressing
        self.caBundle = caBundle
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }

    /// Checks the URL's shape without contacting anything; returns a message for a mistake.
    public var problem: String? {
        if url.hasPrefix("s3://") {
            let rest = url.dropFirst(5)
            if rest.isEmpty || rest.hasPrefix("/") { return "'\(url)' names no bucket: write s3://BUCKET[/PREFIX]" }
            return nil
        }
        if url.hasPrefix("file://") || url.hasPrefix("/") || !url.contains("://") { return nil }
        return "unsupported object store '\(url)': use s3://BUCKET[/PREFIX] or file:///FOLDER"
    }

    /// Opens the store: resolves credentials (the references, else `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and the endpoint (else `AWS_ENDPOINT_URL_S3`,
    /// `AWS_ENDPOINT_URL`, then AWS's regional endpoint) and the CA bundle (else `AWS_CA_BUNDLE`).
    public func open(retry: S3Client.RetryPolicy = S3Client.RetryPolicy()) async throws -> any ObjectStore {
        if let problem { throw ObjectStoreError(message: problem, unreadable: false) }
        guard url.hasPrefix("s3://") else {
            let path = url.hasPrefix("file://") ? String(url.dropFirst(7)) : url
            return FolderStore(root: path)
        }
        let environment = ProcessInfo.processInfo.environment
        let rest = String(url.dropFirst(5))
        let bucket = String(rest.prefix { $0 != "/" })
        var prefix = String(rest.dropFirst(bucket.count + 1))
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        let region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        let endpoint = endpoint ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"] ?? "https://s3.\(region).amazonaws.com"
        let credentials = S3Credentials(
            accessKeyID: try await resolve(accessKey, fallback: "AWS_ACCESS_KEY_ID", secret: false),
            secretAccessKey: try await resolve(secretKey, fallback: "AWS_SECRET_ACCESS_KEY", secret: true),
            sessionToken: sessionToken != nil || environment["AWS_SESSION_TOKEN"] != nil
                ? try await resolve(sessionToken, fallback: "AWS_SESSION_TOKEN", secret: true) : nil)
        let bundle = caBundle ?? environment["AWS_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : $0 }
        let location = S3Location(endpoint: endpoint, bucket: bucket, prefix: prefix, region: region, addressing: addressing, caBundle: bundle)
        var client = S3Client(location: location, credentials: credentials, retry: retry)
        client.onRetry = nil
        if let sseCustomerKey { client.objectHeaders = try await Self.customerKeyHeaders(sseCustomerKey) }
        return S3Store(client: client)
    }

    /// SSE-C's three headers for a key given by reference (base64 of a 256-bit key, as AWS takes it).
    static func customerKeyHeaders(_ reference: String) async throws -> [(name: String, value: String)] {
        guard let parsed = SecretReference.parse(reference) else {
            throw ObjectStoreError(message: "sse_customer_key must be a reference: env:NAME, file:PATH or command:CMD", unreadable: false)
        }
        let text = try await parsed.resolve().trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = Data(base64Encoded: text), key.count == 32 else {
            throw ObjectStoreError(
                message: "sse_customer_key (\(reference)) must be the base64 of a 256-bit key (openssl rand -base64 32), as given to the uploads", unreadable: false)
        }
        SecretMasker.shared.register(text)
        var md5 = StreamingDigest.md5()
        md5.update(key)
        let digest = Data(md5.finalizeBytes())
        return [
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"), ("x-amz-server-side-encryption-customer-key", text),
            ("x-amz-server-side-encryption-customer-key-md5", digest.base64EncodedString()),
        ]
    }

    private func resolve(_ reference: String?, fallback: String, secret: Bool) async throws -> String {
        if let reference {
            guard let parsed = SecretReference.parse(reference) else {
                throw ObjectStoreError(message: "'\(secret ? "****" : reference)' is not a reference: write env:NAME, file:PATH or command:CMD", unreadable: false)
            }
            return try await parsed.resolve()
        }
        guard let value = ProcessInfo.processInfo.environment[fallback], !value.isEmpty else {
            throw ObjectStoreError(message: "no S3 credentials: set \(fallback) or give the key by reference (env:, file:, command:)", unreadable: false)
        }
        if secret { SecretMasker.shared.register(value) }
        return value
    }
}
