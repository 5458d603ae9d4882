/// An S3 request that failed, with the bucket and key and what to do about it.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// 403: wrong or missing credentials, a bad signature, or a policy that refuses the read.
        case accessDenied
        /// 404 on an object or version.
        case notFound
        /// 404 NoSuchBucket.
        case noSuchBucket
        /// The endpoint could not be reached, or kept failing (5xx, 429, broken connections) after every retry.
        case unavailable
        /// Anything else the server refused (400, 409...).
        case refused
        /// The answer could not be understood.
        case malformed
        /// The task was cancelled.
        case cancelled
    }

    public var code: Code
    public var message: String
    /// The server's error code (`SignatureDoesNotMatch`, `NoSuchKey`...), when it sent one.
    public var serverCode: String?
    public var status: Int?

    public var description: String { message }
}
