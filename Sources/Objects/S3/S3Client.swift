import DrillSupport
import Foundation
import HTTPClient

/// A read-only S3 client: list, HEAD and GET, signed with SigV4, retried with exponential
/// backoff and jitter on 5xx, 429, timeouts and broken connections. It has no code path that
/// writes: `Method` has no PUT, POST or DELETE.
public struct S3Client: Sendable {
    /// The only methods this client sends.
    /// GET and HEAD read; PUT is only the opt-in write probe (`probeWrite`), a request that cannot store anything.
    public enum Method: String, Sendable { case get = "GET", head = "HEAD", put = "PUT" }

    /// How often and how patiently to retry.
    public struct RetryPolicy: Sendable {
        public var attempts: Int
        public var baseDelay: Duration
        public var maximumDelay: Duration
        /// Creates a policy.
        public init(attempts: Int = 5, baseDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(5)) {
            self.attempts = attempts
            self.baseDelay = baseDelay
            self.maximumDelay = maximumDelay
        }
    }

    public var location: S3Location
    public var signer: SigV4Signer
    public var retry: RetryPolicy
    /// Time limit of one request (a GET of a large object streams for longer: it is per transfer).
    public var requestTimeout: Duration
    /// Called before each retry with what failed (for progress and the report).
    public var onRetry: (@Sendable (String) -> Void)?
    /// Headers every object read (GET, HEAD) carries: SSE-C's customer key.
    public var objectHeaders: [(name: String, value: String)] = []

    /// A client for `location` with `credentials`.
    public init(location: S3Location, credentials: S3Credentials, retry: RetryPolicy = RetryPolicy(), requestTimeout: Duration = .seconds(300)) {
        self.location = location
        self.signer = SigV4Signer(credentials: credentials, region: location.region)
        self.retry = retry
        self.requestTimeout = requestTimeout
    }

    /// Builds the signed request (exposed for tests that compare it with other signers).
    public func request(
        _ method: Method, key: String?, query: [(name: String, value: String?)] = [], headers: [(name: String, value: String)] = [],
        date: Date = Date()
    ) -> (request: HTTPRequest, signed: SigV4Signer.Signed) {
        let target = location.target(key: key)
        let signed = signer.sign(method: method.rawValue, host: target.host, path: target.path, query: query, headers: headers, date: date)
        let queryText = query.map { item in
            URIEncoding.encode(item.name, keepSlash: false) + (item.value.map { "=" + URIEncoding.encode($0, keepSlash: false) } ?? "")
        }.joined(separator: "&")
        let url = target.url + (queryText.isEmpty ? "" : "?" + queryText)
        let request = HTTPRequest(
            method: method.rawValue, url: url, headers: signed.headers, timeout: requestTimeout, connectTimeout: .seconds(10),
            caBundle: location.caBundle)
        return (request, signed)
    }

    /// Sends one request with retries; the body is collected (list and error answers are small).
    func send(
        _ method: Method, key: String?, query: [(name: String, value: String?)] = [], headers: [(name: String, value: String)] = [], what: String
    ) async throws(S3Error) -> HTTPResponse {
        try await withRetries(what: what) { () throws(S3Error) -> HTTPResponse in
            let built = request(method, key: key, query: query, headers: headers)
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try await HTTPClient.send(built.request, bodyLimit: 64 << 20)
            } catch {
                throw Self.transportError(error, what: what)
            }
            try check(response, key: key, what: what)
            return response
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts are used up.
    func withRetries<T>(what: String, _ attempt: () async throws(S3Error) -> T) async throws(S3Error) -> T {
        var delay = retry.baseDelay
        var lastError: S3Error?
        for number in 1...max(1, retry.attempts) {
            do {
                return try await attempt()
            } catch where error.code == .unavailable {
                lastError = error
                guard number < retry.attempts else { break }
                onRetry?("\(what): \(error.message); retry \(number) of \(retry.attempts - 1)")
                // Full jitter: a random wait up to the current ceiling, so parallel readers spread out.
                let ceiling = min(delay, retry.maximumDelay)
                let wait = Duration.milliseconds(Int64.random(in: 0...max(1, Int64(ceiling.seconds * 1000))))
                do { try await Task.sleep(for: wait) } catch { throw S3Error(code: .cancelled, message: "\(what) was cancelled") }
                delay = delay * 2
            }
        }
        var final = lastError ?? S3Error(code: .unavailable, message: "\(what) failed")
        final.message += " (after \(retry.attempts) attempts)"
        throw final
    }

    /// Turns a non-2xx answer into an error that names the bucket, the key and what to do.
    func check(_ response: HTTPResponse, key: String?, what: String) throws(S3Error) {
        guard !(200..<300).contains(response.status) else { return }
        let body = XMLNode.parse(response.body)
        let serverCode = body?.value("Code")
        let serverMessage = body?.value("Message").map { ": \($0)" } ?? ""
        let object = key.map { "s3://\(location.bucket)/\($0)" } ?? "bucket s3://\(location.bucket)"
        let code: S3Error.Code
        var advice = ""
        switch response.status {
        case 403:
            code = .accessDenied
            if serverCode == "SignatureDoesNotMatch" || serverCode == "InvalidAccessKeyId" {
                advice = " Check the access key and secret the drill file names (objects.credentials)."
            } else if serverMessage.contains("kms:") || serverCode == "KMS.AccessDeniedException" {
                // SSE-KMS: the object is readable, its key is not (S3 answers 403 AccessDenied).
                advice = " The object is stored with an SSE-KMS key these credentials may not use: grant them kms:Decrypt on that key."
            } else {
                advice = " The credentials may read nothing here: grant s3:GetObject, s3:GetObjectVersion and s3:ListBucket(Versions)."
            }
        case 404:
            code = serverCode == "NoSuchBucket" ? .noSuchBucket : .notFound
            if code == .noSuchBucket { advice = " Check objects.bucket and the endpoint." }
        case 429, 500...599: code = .unavailable
        default: code = .refused
        }
        throw S3Error(
            code: code, message: "\(what) of \(object) answered \(response.status)\(serverCode.map { " \($0)" } ?? "")\(serverMessage).\(advice)",
            serverCode: serverCode, status: response.status)
    }

    static func transportError(_ error: HTTPError, what: String) -> S3Error {
        switch error.code {
        case .cancelled: return S3Error(code: .cancelled, message: "\(what) was cancelled")
        case .connect: return S3Error(code: .unavailable, message: error.message + " (is the endpoint right, and the store up?)")
        case .timeout, .connectionLost: return S3Error(code: .unavailable, message: error.message)
        case .tls: return S3Error(code: .refused, message: error.message + " (objects.ca_bundle names a CA file for a private endpoint)")
        case .aborted, .other: return S3Error(code: .refused, message: error.message)
        }
    }
}
