import Foundation
import HTTPClient

extension S3Client {
    /// The bucket's configuration, each subresource read on its own (six GETs).
    public func bucketSettings() async -> BucketSettings {
        BucketSettings(
            versioning: await subresource("versioning", action: "s3:GetBucketVersioning", BucketSettings.versioning),
            lifecycle: await subresource("lifecycle", action: "s3:GetLifecycleConfiguration", BucketSettings.lifecycle),
            encryption: await subresource("encryption", action: "s3:GetEncryptionConfiguration", BucketSettings.encryption),
            publicAccessBlock: await subresource("publicAccessBlock", action: "s3:GetBucketPublicAccessBlock", BucketSettings.publicAccessBlock),
            policy: await subresource("policy", action: "s3:GetBucketPolicy") { String(data: $0, encoding: .utf8) },
            objectLock: await subresource("object-lock", action: "s3:GetBucketObjectLockConfiguration", BucketSettings.objectLock))
    }

    private func subresource<T>(_ name: String, action: String, _ parse: (Data) -> T?) async -> BucketSettings.Reading<T> {
        let response: HTTPResponse
        do throws(S3Error) {
            response = try await send(.get, key: nil, query: [(name, nil)], what: "GET ?\(name)")
        } catch {
            switch error.code {
            case .accessDenied: return .refused(action: action, message: error.message)
            case .notFound: return .notSet
            default: return .failed(error.message)
            }
        }
        guard let value = parse(response.body) else {
            return .failed("the answer to GET ?\(name) of s3://\(location.bucket) could not be read: \(response.text.prefix(200))")
        }
        return .value(value)
    }

    /// What the write probe found.
    public enum WriteProbe: Sendable, Equatable {
        /// 403: the credentials may not store objects; the store's words.
        case refused(String)
        /// The store got past authorization (NoSuchUpload, or another answer than 403).
        case accepted(String)
        /// The store could not be asked (unreachable, kept failing).
        case unknown(String)
    }

    /// Whether these credentials may store objects in the bucket, asked with a request that
    /// cannot store anything: UploadPart (which needs s3:PutObject) to an upload ID that does
    /// not exist, so there is no upload a part could be added to. An empty body, one request,
    /// no retry.
    public func probeWrite() async -> WriteProbe {
        let key = location.prefix + "restore-drill-write-probe"
        var built = request(.put, key: key, query: [("partNumber", "1"), ("uploadId", "restore-drill-probe-no-such-upload")])
        built.request.body = Data()
        let response: HTTPResponse
        do throws(HTTPError) {
            response = try await HTTPClient.send(built.request, bodyLimit: 64 * 1024)
        } catch {
            return .unknown(Self.transportError(error, what: "the write probe").message)
        }
        let code = XMLNode.parse(response.body)?.value("Code")
        let answer = "answered \(response.status)\(code.map { " \($0)" } ?? "")"
        switch response.status {
        case 403: return .refused(answer)
        case 500...599: return .unknown(answer)
        default: return .accepted(answer)
        }
    }

    /// The first objects of a listing (up to `count`), each non-empty one read (its first byte):
    /// the "validate access to restore buckets" step.
    public func sampleAccess(count: Int = 5) async throws(S3Error) -> (listed: [ObjectVersion], read: [ObjectVersion]) {
        let query = Self.currentQuery(prefix: location.prefix, token: nil)
        let response = try await send(.get, key: nil, query: query, what: "listing objects")
        guard let root = XMLNode.parse(response.body), root.name == "ListBucketResult" else {
            throw S3Error(code: .malformed, message: "listing objects of \(location) returned no ListBucketResult: \(response.text.prefix(200))")
        }
        let encoded = root.value("EncodingType") == "url"
        var listed: [ObjectVersion] = []
        for node in root.all("Contents").prefix(count) {
            guard let rawKey = node.value("Key") else { continue }
            let key = encoded ? URIEncoding.decode(rawKey, plusIsSpace: true) : rawKey
            listed.append(ObjectVersion(key: key, versionID: nil, size: Int64(node.value("Size") ?? "") ?? 0, etag: nil, lastModified: Date()))
        }
        var scoped = self
        scoped.location.prefix = ""
        let readable = listed.filter { $0.size > 0 }
        for object in readable { _ = try await scoped.getHead(key: object.key, count: 1) }
        return (listed, readable)
    }
}
