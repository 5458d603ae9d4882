import DrillSupport
import Foundation

/// AWS Signature Version 4 for S3 requests, written here rather than taken from libcurl:
/// curl 7.88's `CURLOPT_AWS_SIGV4` leaves out `x-amz-content-sha256` and canonicalises
/// valueless query parameters (`?versions`) in a way S3 servers reject.
/// Reference: docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
public struct SigV4Signer: Sendable {
    /// The hash of an empty payload: every request this client sends has no body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var credentials: S3Credentials
    public var region: String
    public var service: String

    /// A signer for `region` (`us-east-1` for most S3-compatible servers).
    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What signing produced: the headers to send and the intermediate texts (for tests and debugging).
    public struct Signed: Sendable {
        public var headers: [(name: String, value: String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var authorization: String
    }

    /// Signs a request. `path` is the URI path exactly as sent (already encoded), `query` the
    /// decoded parameter names and values (nil for a valueless one such as `versions`), `headers`
    /// the extra headers to sign besides `host`, `x-amz-date`, `x-amz-content-sha256` and the token.
    public func sign(
        method: String, host: String, path: String, query: [(name: String, value: String?)],
        headers: [(name: String, value: String)] = [], payloadHash: String = emptyPayloadHash, date: Date
    ) -> Signed {
        let amzDate = Self.timestamp(date)
        let day = String(amzDate.prefix(8))
        var all = headers.map { (name: $0.name.lowercased(), value: Self.trimmed($0.value)) }
        all.append(("host", host))
        all.append(("x-amz-content-sha256", payloadHash))
        all.append(("x-amz-date", amzDate))
        if let token = credentials.sessionToken { all.append(("x-amz-security-token", token)) }
        all.sort { $0.name < $1.name }
        let signedHeaders = all.map(\.name).joined(separator: ";")
        let canonicalHeaders = all.map { "\($0.name):\($0.value)\n" }.joined()
        let canonicalQuery = Self.canonicalQuery(query)
        let canonicalRequest = [method, path.isEmpty ? "/" : path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, HMACSHA256.sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
        var key = HMACSHA256.authenticate(Data(day.utf8), key: Data(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [region, service, "aws4_request"] { key = HMACSHA256.authenticate(Data(part.utf8), key: key) }
        let signature = HMACSHA256.authenticate(Data(stringToSign.utf8), key: key).hex
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        var sent = headers
        sent.append(("x-amz-date", amzDate))
        sent.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken { sent.append(("x-amz-security-token", token)) }
        sent.append(("Authorization", authorization))
        return Signed(headers: sent, canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, authorization: authorization)
    }

    /// Parameters sorted by encoded name, then value; a valueless parameter signs as `name=`.
    static func canonicalQuery(_ query: [(name: String, value: String?)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { item in
            (URIEncoding.encode(item.name, keepSlash: false), URIEncoding.encode(item.value ?? "", keepSlash: false))
        }
        let sorted = encoded.sorted { left, right in left.name == right.name ? left.value < right.value : left.name < right.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// Header values are trimmed and inner runs of spaces collapsed to one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    /// `20261124T220500Z`.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
