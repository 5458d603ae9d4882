import DrillSupport
import Foundation
import HTTPClient
import Synchronization

extension S3Client {
    /// One page of a listing: versions (and delete markers), and whether more follow.
    public struct ListPage: Sendable {
        public var versions: [ObjectVersion]
        public var isTruncated: Bool
    }

    /// Every version and delete marker under the location's prefix (ListObjectVersions, paginated),
    /// handed to `page` one page at a time so a large bucket is never held whole.
    public func listVersions(_ page: (ListPage) async throws -> Void) async throws {
        var keyMarker: String?
        var versionMarker: String?
        repeat {
            let query = Self.versionsQuery(prefix: location.prefix, keyMarker: keyMarker, versionMarker: versionMarker)
            let response = try await send(.get, key: nil, query: query, what: "listing versions")
            guard let root = XMLNode.parse(response.body), root.name == "ListVersionsResult" else {
                throw S3Error(code: .malformed, message: "listing versions of \(location) returned no ListVersionsResult: \(response.text.prefix(200))")
            }
            // Keys are URL-encoded only when the answer says so: some servers ignore encoding-type.
            let encoded = root.value("EncodingType") == "url"
            var versions: [ObjectVersion] = []
            for node in root.children where node.name == "Version" || node.name == "DeleteMarker" {
                versions.append(try version(node, deleteMarker: node.name == "DeleteMarker", encoded: encoded))
            }
            let truncated = root.value("IsTruncated") == "true"
            try await page(ListPage(versions: versions, isTruncated: truncated))
            keyMarker = root.value("NextKeyMarker").map { encoded ? URIEncoding.decode($0, plusIsSpace: true) : $0 }
            versionMarker = root.value("NextVersionIdMarker")
            if truncated && keyMarker == nil {
                throw S3Error(code: .malformed, message: "listing versions of \(location): a truncated page without NextKeyMarker")
            }
            if !truncated { return }
        } while true
    }

    /// Current objects under the prefix (ListObjectsV2, paginated): for stores without versioning.
    public func listCurrent(_ page: (ListPage) async throws -> Void) async throws {
        var token: String?
        repeat {
            let query = Self.currentQuery(prefix: location.prefix, token: token)
            let response = try await send(.get, key: nil, query: query, what: "listing objects")
            guard let root = XMLNode.parse(response.body), root.name == "ListBucketResult" else {
                throw S3Error(code: .malformed, message: "listing objects of \(location) returned no ListBucketResult: \(response.text.prefix(200))")
            }
            let encoded = root.value("EncodingType") == "url"
            let versions = try root.all("Contents").map { try version($0, deleteMarker: false, encoded: encoded) }
            let truncated = root.value("IsTruncated") == "true"
            try await page(ListPage(versions: versions, isTruncated: truncated))
            token = root.value("NextContinuationToken")
            if !truncated { return }
            if token == nil { throw S3Error(code: .malformed, message: "listing objects of \(location): a truncated page without NextContinuationToken") }
        } while true
    }

    /// Whether the bucket keeps versions (GetBucketVersioning: `Enabled` or `Suspended` count as versioned history).
    public func versioningStatus() async throws(S3Error) -> String? {
        let response = try await send(.get, key: nil, query: [("versioning", nil)], what: "reading the versioning status")
        return XMLNode.parse(response.body)?.value("Status")
    }

    /// HEAD of a key (a version when given): size, ETag and the full-object SHA-256 checksum when the server stored one.
    public func head(key: String, versionID: String?) async throws(S3Error) -> (version: ObjectVersion, sha256: String?) {
        let full = location.prefix + key
        let response = try await send(.head, key: full, query: versionID.map { [("versionId", $0)] } ?? [], headers: objectHeaders, what: "HEAD")
        let etag = response.header("ETag").map(Self.unquoted)
        let modified = response.header("Last-Modified").flatMap(Self.httpDate) ?? Date(timeIntervalSince1970: 0)
        let version = ObjectVersion(
            key: key, versionID: response.header("x-amz-version-id").flatMap { $0 == "null" ? nil : $0 },
            size: Int64(response.header("Content-Length") ?? "") ?? 0, etag: etag, lastModified: modified)
        return (version, Self.fullObjectSHA256(response))
    }

    /// Streams a key's bytes (a version when given) into `sink`. A connection that breaks
    /// mid-body is resumed with a ranged GET from the last byte received (`If-Match` on the
    /// ETag, so a changed object is not stitched together); other failures retry from the start.
    /// Returns the full-object SHA-256 the store recorded (hex), when it sent one.
    @discardableResult
    public func get(key: String, versionID: String?, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws(S3Error) -> String? {
        let full = location.prefix + key
        let delivered = Atomic<Int64>(0)
        let firstETag = Mutex<String?>(nil)
        let checksum = Mutex<String?>(nil)
        let what = "GET"
        try await withRetries(what: "GET s3://\(location.bucket)/\(full)") { () throws(S3Error) -> Void in
            let offset = delivered.load(ordering: .relaxed)
            // Ask for the stored checksum; servers without additional checksums ignore this.
            var headers: [(name: String, value: String)] = [("x-amz-checksum-mode", "ENABLED")] + objectHeaders
            if offset > 0 {
                headers.append(("Range", "bytes=\(offset)-"))
                if let etag = firstETag.withLock({ $0 }) { headers.append(("If-Match", "\"\(etag)\"")) }
            }
            let built = request(.get, key: full, query: versionID.map { [("versionId", $0)] } ?? [], headers: headers)
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try await HTTPClient.stream(built.request) { chunk in
                    delivered.add(Int64(chunk.count), ordering: .relaxed)
                    return sink(chunk)
                }
            } catch {
                throw Self.transportError(error, what: "\(what) s3://\(location.bucket)/\(full)")
            }
            if (200..<300).contains(response.status) {
                if offset == 0 {
                    firstETag.withLock { $0 = response.header("ETag").map(Self.unquoted) }
                    checksum.withLock { $0 = Self.fullObjectSHA256(response) }
                }
                return
            }
            if response.status == 412 {
                throw S3Error(code: .refused, message: "s3://\(location.bucket)/\(full) changed while it was being read", status: 412)
            }
            try check(response, key: full, what: what)
        }
        return checksum.withLock { $0 }
    }

    /// The first `count` bytes of a key (one ranged GET); fewer when the object is shorter.
    public func getHead(key: String, count: Int) async throws(S3Error) -> Data {
        let full = location.prefix + key
        let response = try await send(
            .get, key: full, headers: [("Range", "bytes=0-\(max(0, count - 1))")] + objectHeaders, what: "GET (first bytes) s3://\(location.bucket)/\(full)")
        return Data(response.body.prefix(count))
    }

    /// The `x-amz-checksum-sha256` of an answer as hex, only when it covers the whole object: a
    /// composite checksum of a multipart upload (type COMPOSITE, or a "-N" suffix) says nothing
    /// about the bytes as one stream.
    static func fullObjectSHA256(_ response: HTTPResponse) -> String? {
        guard let value = response.header("x-amz-checksum-sha256"), !value.contains("-"),
            response.header("x-amz-checksum-type")?.uppercased() != "COMPOSITE", let bytes = Data(base64Encoded: value), bytes.count == 32
        else { return nil }
        return bytes.hex
    }

    /// ListObjectVersions parameters (`versions` has no value).
    public static func versionsQuery(prefix: String, keyMarker: String?, versionMarker: String?) -> [(name: String, value: String?)] {
        var query: [(name: String, value: String?)] = [("versions", nil), ("encoding-type", "url"), ("prefix", prefix)]
        if let keyMarker { query.append(("key-marker", keyMarker)) }
        if let versionMarker { query.append(("version-id-marker", versionMarker)) }
        return query
    }

    /// ListObjectsV2 parameters.
    public static func currentQuery(prefix: String, token: String?) -> [(name: String, value: String?)] {
        var query: [(name: String, value: String?)] = [("list-type", "2"), ("encoding-type", "url"), ("prefix", prefix)]
        if let token { query.append(("continuation-token", token)) }
        return query
    }

    private func version(_ node: XMLNode, deleteMarker: Bool, encoded: Bool) throws(S3Error) -> ObjectVersion {
        guard let rawKey = node.value("Key") else { throw S3Error(code: .malformed, message: "a listing entry of \(location) has no Key") }
        let key = encoded ? URIEncoding.decode(rawKey, plusIsSpace: true) : rawKey
        let relative = key.hasPrefix(location.prefix) ? String(key.dropFirst(location.prefix.count)) : key
        guard let modifiedText = node.value("LastModified"), let modified = TimestampText.parse(modifiedText) else {
            throw S3Error(code: .malformed, message: "the listing entry for \(key) has no readable LastModified")
        }
        let versionID = node.value("VersionId").flatMap { $0 == "null" ? nil : $0 }
        return ObjectVersion(
            key: relative, versionID: versionID, size: Int64(node.value("Size") ?? "0") ?? 0, etag: node.value("ETag").map(Self.unquoted),
            lastModified: modified, isDeleteMarker: deleteMarker, isLatest: node.value("IsLatest") != "false")
    }

    static func unquoted(_ etag: String) -> String {
        etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).replacingOccurrences(of: "&quot;", with: "")
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
