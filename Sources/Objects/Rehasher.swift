import DrillSupport
import Foundation
import Synchronization

/// What reading one object produced.
public struct RehashResult: Sendable {
    public var version: ObjectVersion
    /// Where the object is in the collection that was hashed (results arrive in any order).
    public var position: Int
    /// SHA-256 of the bytes read; nil when the read failed.
    public var digest: Digest32?
    /// Lowercase hex SHA-256 of the bytes read; nil when the read failed.
    public var sha256: String? { digest?.hex }
    /// MD5 hex, computed only when the ETag is an MD5 (single-part upload).
    public var md5: String?
    /// The full-object SHA-256 the store recorded, when it sent one.
    public var storedSHA256: String?
    public var bytesRead: Int64
    /// Why the read failed; `unreadable` says whether it is the object's fault.
    public var failure: (message: String, unreadable: Bool)?
}

extension RehashResult {
    /// A read of `version` that failed with `error`: the object's fault when the store says it
    /// cannot be read (`ObjectStoreError.unreadable`), else the harness's.
    static func failed(_ version: ObjectVersion, at position: Int, _ error: any Error) -> RehashResult {
        let (message, unreadable) = (error as? ObjectStoreError).map { ($0.message, $0.unreadable) } ?? ("\(error)", false)
        return RehashResult(version: version, position: position, digest: nil, md5: nil, storedSHA256: nil, bytesRead: 0, failure: (message, unreadable))
    }
}

/// Reads objects and hashes them as they stream, a bounded number at a time. Nothing is
/// buffered whole: each transfer feeds the digests chunk by chunk on its own thread.
public enum Rehasher {
    /// Hashes `versions` from `store` with `parallel` reads at once; `onResult` gets each result
    /// as it completes (any order). Throws only when cancelled.
    public static func hash<Objects: RandomAccessCollection & Sendable>(
        _ versions: Objects, from store: any ObjectStore, parallel: Int, progress: RehashProgress? = nil,
        onResult: (RehashResult) throws -> Void
    ) async throws where Objects.Element == ObjectVersion, Objects.Index == Int {
        if let reader = store.blockingReader {
            try await hashLocally(versions, reader: reader, parallel: parallel, progress: progress, onResult: onResult)
            return
        }
        try await withThrowingTaskGroup(of: RehashResult.self) { group in
            var next = 0
            func launch() {
                let position = next
                let version = versions[versions.startIndex + position]
                next += 1
                group.addTask { await hashOne(version, at: position, from: store, progress: progress) }
            }
            while next < versions.count && next < max(1, parallel) { launch() }
            while let result = try await group.next() {
                try Task.checkCancellation()
                progress?.finished(result)
                try onResult(result)
                if next < versions.count { launch() }
            }
        }
    }

    /// Objects on this machine, in batches of small ones (up to `batchObjects` objects or
    /// `batchBytes` bytes, a large object alone), each batch read and hashed on one blocking
    /// thread, `parallel` batches at once: a task and a thread hop per 16-byte object cost more
    /// than hashing it.
    static func hashLocally<Objects: RandomAccessCollection & Sendable>(
        _ versions: Objects, reader: any BlockingObjectReader, parallel: Int, progress: RehashProgress?,
        onResult: (RehashResult) throws -> Void
    ) async throws where Objects.Element == ObjectVersion, Objects.Index == Int {
        let batches = batched(versions)
        try await withThrowingTaskGroup(of: [RehashResult].self) { group in
            var next = 0
            func launch() {
                let batch = batches[next]
                next += 1
                group.addTask {
                    try await BlockingWork.run {
                        var results: [RehashResult] = []
                        results.reserveCapacity(batch.count)
                        // One buffer for the batch: a fresh megabyte per object cost a page fault per 4 KiB.
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: FolderStore.readSize, alignment: 64)
                        defer { buffer.deallocate() }
                        for position in batch {
                            results.append(
                                hashNow(versions[versions.startIndex + position], at: position, reader: reader, buffer: buffer, progress: progress))
                        }
                        return results
                    }
                }
            }
            while next < batches.count && next < max(1, parallel) { launch() }
            while let results = try await group.next() {
                try Task.checkCancellation()
                for result in results {
                    progress?.finished(result)
                    try onResult(result)
                }
                if next < batches.count { launch() }
            }
        }
    }

    static let batchObjects = 256
    static let batchBytes: Int64 = 4 << 20

    /// Positions (0 ..< count) of `versions` cut into batches.
    static func batched<Objects: RandomAccessCollection>(_ versions: Objects) -> [Range<Int>]
    where Objects.Element == ObjectVersion, Objects.Index == Int {
        var batches: [Range<Int>] = []
        var start = 0
        var bytes: Int64 = 0
        for position in 0..<versions.count {
            let size = versions[versions.startIndex + position].size
            if position > start && (position - start >= batchObjects || bytes + size > batchBytes) {
                batches.append(start..<position)
                start = position
                bytes = 0
            }
            bytes += size
        }
        if start < versions.count { batches.append(start..<versions.count) }
        return batches
    }

    static func hashNow(
        _ version: ObjectVersion, at position: Int, reader: any BlockingObjectReader, buffer: UnsafeMutableRawBufferPointer, progress: RehashProgress?
    ) -> RehashResult {
        // Local digests fed by a non-escaping closure: no object and no lock per chunk.
        var sha = StreamingDigest()
        var md5 = version.etagIsMD5 ? StreamingDigest.md5() : nil
        var count: Int64 = 0
        do {
            try reader.readNow(version, buffer: buffer) { chunk in
                sha.update(chunk)
                md5?.update(chunk)
                count += Int64(chunk.count)
                return true
            }
        } catch {
            progress?.add(bytes: count)
            return RehashResult.failed(version, at: position, error)
        }
        progress?.add(bytes: count)
        return RehashResult(
            version: version, position: position, digest: Digest32(sha), md5: md5.take()?.finalizeHex(), storedSHA256: nil, bytesRead: count,
            failure: nil)
    }

    static func hashOne(_ version: ObjectVersion, at position: Int, from store: any ObjectStore, progress: RehashProgress?) async -> RehashResult {
        let state = DigestState(md5: version.etagIsMD5)
        let stored: Result<String?, any Error>
        do {
            stored = .success(try await store.read(version) { chunk in state.feed(chunk, progress: progress) })
        } catch {
            stored = .failure(error)
        }
        return state.result(version, at: position, stored: stored)
    }
}

/// Digests fed from one transfer's thread; a retried transfer only continues (ranged resume),
/// so the digests see each byte once.
final class DigestState: @unchecked Sendable {
    // Touched by one transfer at a time (the reads of one object are sequential).
    private var sha: StreamingDigest? = StreamingDigest()
    private var md5: StreamingDigest?
    private var count: Int64 = 0

    init(md5 wanted: Bool) {
        md5 = wanted ? StreamingDigest.md5() : nil
    }

    func update(_ chunk: UnsafeRawBufferPointer) {
        sha?.update(chunk)
        md5?.update(chunk)
        count += Int64(chunk.count)
    }

    /// Feeds a chunk and counts it for progress; true to go on reading.
    func feed(_ chunk: UnsafeRawBufferPointer, progress: RehashProgress?) -> Bool {
        update(chunk)
        progress?.add(bytes: Int64(chunk.count))
        return true
    }

    func finish() -> (Digest32, String?, Int64) {
        var digest = Digest32.zero
        if let finished = sha.take() { digest = Digest32(finished) }
        var md5Hex: String?
        if let md5 = md5.take() { md5Hex = md5.finalizeHex() }
        return (digest, md5Hex, count)
    }

    /// The result of reading `version` (at `position` of what is hashed): its digests, or why the read failed.
    func result(_ version: ObjectVersion, at position: Int, stored: Result<String?, any Error>) -> RehashResult {
        switch stored {
        case .success(let storedSHA256):
            let (digest, md5, count) = finish()
            return RehashResult(version: version, position: position, digest: digest, md5: md5, storedSHA256: storedSHA256, bytesRead: count, failure: nil)
        case .failure(let error):
            return RehashResult.failed(version, at: position, error)
        }
    }
}

/// Objects and bytes done, for the progress line (objects, bytes, rate, ETA).
public final class RehashProgress: Sendable {
    private let state = Mutex<(objects: Int, bytes: Int64, failures: Int)>((0, 0, 0))
    public let totalObjects: Int
    public let totalBytes: Int64
    private let start = ContinuousClock.now

    /// Progress over `totalObjects` objects of `totalBytes` bytes.
    public init(totalObjects: Int, totalBytes: Int64) {
        self.totalObjects = totalObjects
        self.totalBytes = totalBytes
    }

    func add(bytes: Int64) { state.withLock { $0.bytes += bytes } }
    func finished(_ result: RehashResult) { state.withLock { $0.objects += 1; if result.failure != nil { $0.failures += 1 } } }

    /// `1,234/10,000 objects, 1.2 GiB of 9.8 GiB, 412 MiB/s, ETA 21s`.
    public var line: String {
        let (objects, bytes, failures) = state.withLock { ($0.objects, $0.bytes, $0.failures) }
        let seconds = max(0.001, (ContinuousClock.now - start).seconds)
        let rate = Double(bytes) / seconds
        let remaining = rate > 0 ? Double(max(0, totalBytes - bytes)) / rate : 0
        return "\(objects)/\(totalObjects) objects, \(ByteCount(bytes)) of \(ByteCount(totalBytes)), \(ByteCount(Int64(rate)))/s, ETA \(DrillDuration.format(.seconds(remaining)))"
            + (failures > 0 ? ", \(failures) unreadable" : "")
    }

    /// Reports `line` to `report` every second until the task is cancelled (the caller cancels
    /// it when the work is done).
    public func reportEverySecond(to report: (@Sendable (String) -> Void)?) -> Task<Void, Never> {
        Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                report?(line)
            }
        }
    }

    /// Bytes hashed so far.
    public var bytes: Int64 { state.withLock { $0.bytes } }
}
