import CCurl
import DrillSupport
import Foundation
import Synchronization

/// One libcurl easy transfer, run to completion on the calling (blocking) thread. Nothing
/// outside this file sees a libcurl handle.
final class CurlTransfer: @unchecked Sendable {
    // Only touched by the thread running `perform`, except `cancelled` (a Mutex).
    private let request: HTTPRequest
    private let bodyLimit: Int
    private let sink: (@Sendable (UnsafeRawBufferPointer) -> Bool)?
    let cancelled = Mutex(false)
    private var body = Data()
    private var bodyBytes: Int64 = 0
    private var truncated = false
    private var sinkRefused = false
    private var headerLines: [(name: String, value: String)] = []
    /// Status of the response being received, from its status line.
    private var currentStatus = 0

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    init(request: HTTPRequest, bodyLimit: Int, sink: (@Sendable (UnsafeRawBufferPointer) -> Bool)?) {
        self.request = request
        self.bodyLimit = bodyLimit
        self.sink = sink
    }

    func perform() throws(HTTPError) -> HTTPResponse {
        _ = Self.globalInit
        guard let handle = HandlePool.shared.take() else { throw HTTPError(code: .other, message: "libcurl could not create a transfer handle") }
        defer { HandlePool.shared.give(back: handle) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let context = Unmanaged.passUnretained(self).toOpaque()

        var code = errorBuffer.withUnsafeMutableBufferPointer { errorPointer -> CURLcode in
            rd_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            rd_curl_set_string(handle, CURLOPT_URL, request.url)
            rd_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            // Send the path as given: S3 keys may hold "../" and "./", which libcurl would
            // otherwise squash, fetching another object than the one that was signed and asked for.
            rd_curl_set_long(handle, CURLOPT_PATH_AS_IS, 1)
            rd_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
            rd_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
            rd_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout))
            rd_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
            if let caBundle = request.caBundle { rd_curl_set_string(handle, CURLOPT_CAINFO, caBundle) }
            switch request.method {
            case "GET": break
            case "HEAD": rd_curl_set_long(handle, CURLOPT_NOBODY, 1)
            default: rd_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            }
            if let body = request.body {
                rd_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                body.withUnsafeBytes { bytes in
                    // COPYPOSTFIELDS copies, so the buffer need not outlive this closure; an
                    // empty body still needs a valid pointer.
                    let empty: [CChar] = [0]
                    if bytes.count == 0 {
                        empty.withUnsafeBufferPointer { _ = rd_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
                    } else {
                        _ = rd_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    }
                }
            }
            if let start = request.rangeStart { rd_curl_set_string(handle, CURLOPT_RANGE, "\(start)-") }
            // libcurl adds "Expect: 100-continue" to bodies over 1 KiB; an empty value suppresses it.
            for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
                headerList = curl_slist_append(headerList, line)
            }
            rd_curl_set_headers(handle, headerList)
            rd_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, context in
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
                return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
            })
            rd_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
            rd_curl_set_data_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, context in
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
                transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            })
            rd_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
            rd_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
            rd_curl_set_progress_callback(handle, { context, _, _, _, _ in
                Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().cancelled.withLock { $0 } ? 1 : 0
            })
            rd_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context)
            return curl_easy_perform(handle)
        }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard code == CURLE_OK else { throw error(for: code, detail: detail) }

        var status = 0
        var totalMicroseconds: curl_off_t = 0
        var effective: UnsafeMutablePointer<CChar>?
        code = rd_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        rd_curl_get_offset(handle, CURLINFO_TOTAL_TIME_T, &totalMicroseconds)
        rd_curl_get_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
        return HTTPResponse(
            status: status, headers: headerLines, body: body, bodyTruncated: truncated, bodyBytes: bodyBytes,
            totalTime: .microseconds(totalMicroseconds), effectiveURL: effective.map { String(cString: $0) } ?? request.url)
    }

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        bodyBytes += Int64(bytes.count)
        // Only a successful answer's body is the content; an error answer's body (S3's XML
        // <Error>) is kept for the caller to read, never handed to the sink.
        if let sink, (200..<300).contains(currentStatus) {
            guard sink(bytes) else {
                sinkRefused = true
                return 0  // anything but the full count makes libcurl stop with CURLE_WRITE_ERROR
            }
            return bytes.count
        }
        let room = max(0, (sink == nil ? bodyLimit : 64 * 1024) - body.count)
        if bytes.count > room { truncated = true }
        body.append(contentsOf: bytes.prefix(room))
        return bytes.count
    }

    private func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            headerLines = []  // a new response (after 100-continue or a redirect) starts over
            let fields = line.split(separator: " ")
            currentStatus = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        headerLines.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
    }

    private func error(for code: CURLcode, detail: String) -> HTTPError {
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let target = "\(request.method) \(SecretMasker.shared.mask(request.url))"
        switch code {
        case CURLE_ABORTED_BY_CALLBACK: return HTTPError(code: .cancelled, message: "\(target) was cancelled")
        case CURLE_WRITE_ERROR where sinkRefused: return HTTPError(code: .aborted, message: "\(target): the body was refused by its reader")
        case CURLE_OPERATION_TIMEDOUT: return HTTPError(code: .timeout, message: "\(target) timed out: \(reason)")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY:
            return HTTPError(code: .connect, message: "\(target): cannot connect: \(reason)")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return HTTPError(code: .connectionLost, message: "\(target): the connection broke: \(reason)")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return HTTPError(code: .tls, message: "\(target): TLS failed: \(reason)")
        default: return HTTPError(code: .other, message: "\(target) failed: \(reason)")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// Easy handles kept between transfers: a handle keeps its connections (and TLS sessions)
/// open, so consecutive requests to one endpoint reuse them instead of connecting each time.
final class HandlePool: Sendable {
    static let shared = HandlePool()
    /// Handles kept idle at most; more are cleaned up when given back.
    static let capacity = 64

    private let idle = Mutex<[CurlHandle]>([])

    func take() -> UnsafeMutableRawPointer? {
        if let handle = idle.withLock({ $0.popLast() }) { return handle.raw }
        return curl_easy_init()
    }

    func give(back handle: UnsafeMutableRawPointer) {
        // reset clears every option of the last transfer but keeps the connection cache.
        curl_easy_reset(handle)
        let kept = idle.withLock { handles -> Bool in
            guard handles.count < Self.capacity else { return false }
            handles.append(CurlHandle(raw: handle))
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }
}

/// An idle easy handle; only one transfer uses a handle at a time (the pool hands it out once).
struct CurlHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}
