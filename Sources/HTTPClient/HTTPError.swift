/// A request that got no HTTP response. HTTP error statuses are responses, not errors.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    /// Why, in the categories callers act on (retry, report, stop).
    public enum Code: String, Sendable {
        /// Name resolution or TCP connect failed.
        case connect
        /// The time limit passed.
        case timeout
        /// The connection broke mid-exchange (reset, empty reply, short body).
        case connectionLost
        /// Certificate or TLS handshake problem.
        case tls
        /// The task was cancelled.
        case cancelled
        /// The body sink refused more data.
        case aborted
        /// Anything else libcurl reports (bad URL, unsupported protocol...).
        case other
    }

    public var code: Code
    /// libcurl's explanation with the (masked) URL.
    public var message: String

    /// Connection-level failures worth retrying: a fresh attempt may well succeed.
    public var isTransient: Bool { code == .connect || code == .timeout || code == .connectionLost }

    public var description: String { message }
}
