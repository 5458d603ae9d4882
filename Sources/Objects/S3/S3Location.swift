import Foundation

/// Where a bucket is: the endpoint, the bucket, an optional key prefix, the region, and how
/// the bucket is addressed (`https://host/bucket/key` or `https://bucket.host/key`).
public struct S3Location: Sendable, CustomStringConvertible {
    /// Path style (MinIO, Ceph, moto, most S3-compatible servers) or virtual-host style (AWS).
    public enum Addressing: String, Sendable { case path, virtualHost = "virtual-host" }

    /// `http(s)://host[:port]`, without a path.
    public var endpoint: String
    public var bucket: String
    /// Only keys under this prefix belong to the store (`tenant-a/`), "" for the whole bucket.
    public var prefix: String
    public var region: String
    public var addressing: Addressing
    /// PEM bundle of trusted CAs for a private endpoint.
    public var caBundle: String?

    /// Creates a location.
    public init(endpoint: String, bucket: String, prefix: String = "", region: String = "us-east-1", addressing: Addressing = .path, caBundle: String? = nil) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.addressing = addressing
        self.caBundle = caBundle
    }

    /// `s3://bucket/prefix`.
    public var description: String { "s3://\(bucket)/\(prefix)" }

    /// Scheme, host (with a non-default port) and the path of `key` (or of the bucket when nil).
    func target(key: String?) -> (url: String, host: String, path: String) {
        let parts = endpoint.split(separator: "://", maxSplits: 1).map(String.init)
        let scheme = parts.count == 2 ? parts[0] : "https"
        let authority = parts.count == 2 ? parts[1] : parts[0]
        let encodedKey = key.map { URIEncoding.encode($0, keepSlash: true) } ?? ""
        switch addressing {
        case .path:
            let path = "/" + URIEncoding.encode(bucket, keepSlash: false) + (key == nil ? "" : "/" + encodedKey)
            return ("\(scheme)://\(authority)\(path)", authority, path)
        case .virtualHost:
            let host = "\(bucket).\(authority)"
            let path = "/" + encodedKey
            return ("\(scheme)://\(host)\(path)", host, path)
        }
    }
}
