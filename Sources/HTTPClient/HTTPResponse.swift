import Foundation

/// What came back: status, headers, the body (or as much of it as was kept) and timings.
public struct HTTPResponse: Sendable {
    /// HTTP status code.
    public var status: Int
    /// Response headers of the final response, names as sent by the server.
    public var headers: [(name: String, value: String)]
    /// Body bytes kept (all of them unless a body sink consumed them or the limit cut them).
    public var body: Data
    /// True when the body was longer than the limit and was cut.
    public var bodyTruncated: Bool
    /// Bytes of body received in total.
    public var bodyBytes: Int64
    /// From the start of the request to the last byte.
    public var totalTime: Duration
    /// URL after redirects.
    public var effectiveURL: String

    /// Creates a response (the transfer does; tests of header handling too).
    public init(
        status: Int, headers: [(name: String, value: String)], body: Data = Data(), bodyTruncated: Bool = false, bodyBytes: Int64 = 0,
        totalTime: Duration = .zero, effectiveURL: String = ""
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.bodyBytes = bodyBytes
        self.totalTime = totalTime
        self.effectiveURL = effectiveURL
    }

    /// First header with this name, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
