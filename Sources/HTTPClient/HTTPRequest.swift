import Foundation

/// One HTTP request: what the `http` check sends and what the object store's S3 client signs.
public struct HTTPRequest: Sendable {
    /// `GET`, `HEAD`, `POST`...
    public var method: String
    /// Absolute `http://` or `https://` URL, already percent-encoded.
    public var url: String
    /// Header lines in the order they are sent.
    public var headers: [(name: String, value: String)]
    /// Request body (sent as is, with its length).
    public var body: Data?
    /// Limit for the whole exchange.
    public var timeout: Duration
    /// Limit for establishing the connection.
    public var connectTimeout: Duration
    /// PEM file of trusted CAs instead of the system's.
    public var caBundle: String?
    /// Follow 3xx redirects (off by default: a check usually wants to see them).
    public var followRedirects: Bool
    /// `Range: bytes=N-` (resuming a download), nil for the whole body.
    public var rangeStart: Int64?

    /// Creates a request.
    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: Data? = nil,
        timeout: Duration = .seconds(60), connectTimeout: Duration = .seconds(10), caBundle: String? = nil,
        followRedirects: Bool = false, rangeStart: Int64? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.caBundle = caBundle
        self.followRedirects = followRedirects
        self.rangeStart = rangeStart
    }
}
