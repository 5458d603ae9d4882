import DrillSupport
import Foundation
import Provisioning
import Reports
import Restore
import Synchronization
import SystemPackage

/// Fetches one stored artifact into the drill's private fetch folder in a single pass: the
/// stored bytes (encrypted or not) are hashed with SHA-256 as they arrive, and written to the
/// file, or through the decryptor (`age`, `gpg`) into it. Nothing is written to the store.
enum ArtifactFetch {
    /// What decrypting found.
    enum Decryption: Sendable, Equatable {
        /// Decrypted; the tool's one-line summary.
        case decrypted(String)
        /// The key does not fit: the decryptor's words.
        case wrongKey(String)
        /// The ciphertext does not authenticate or parse: the decryptor's words.
        case damaged(String)
    }

    /// The fetched file and what was measured on the way.
    struct Outcome: Sendable {
        /// The plaintext artifact in the fetch folder.
        var path: String
        /// Size and SHA-256 of the stored bytes.
        var stored: ContentDigest
        /// nil for an artifact that is not encrypted.
        var decryption: Decryption?
    }

    static func fetch(
        _ artifact: StoredArtifact, from store: any BackupLocation, into folder: String, decryption: ArtifactDecryption?, user: OSUser?,
        progress: @escaping @Sendable (Int64) -> Void
    ) async throws -> Outcome {
        signal(SIGPIPE, SIG_IGN)
        let path = folder + "/" + (decryption?.plainName(artifact.name) ?? artifact.name)
        guard let decryption else {
            let descriptor = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .exclusiveCreate], permissions: [.ownerReadWrite])
            let writer = FetchWriter(descriptor: descriptor.rawValue, isPipe: false, progress: progress)
            defer { writer.close() }
            try await read(artifact, store, writer)
            if let user { _ = Glibc.chown(path, user.uid, user.gid) }
            return Outcome(path: path, stored: writer.digest(), decryption: nil)
        }
        var tool = try await decryption.invocation(output: path, folder: folder, user: user)
        let pipe = try FileDescriptor.pipe()
        tool.pipeInput = pipe.readEnd.rawValue
        tool.captureLimit = 16 * 1024
        let writer = FetchWriter(descriptor: pipe.writeEnd.rawValue, isPipe: true, progress: progress)
        let decrypting = Task { [tool] in try await ProcessRunner.run(tool) }
        do {
            try await read(artifact, store, writer)
        } catch {
            writer.close()
            decrypting.cancel()
            _ = try? await decrypting.value
            throw error
        }
        writer.close()
        let result = try await decrypting.value
        let message = SecretMasker.shared.mask(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
        let outcome: Decryption
        if result.succeeded {
            outcome = .decrypted("\(ByteCount(DiskUsage.bytes(at: path))) of plaintext from \(ByteCount(writer.count)) stored")
        } else {
            outcome = decryption.isWrongKey(message) ? .wrongKey(message) : .damaged(message.isEmpty ? result.terminationDescription : message)
        }
        return Outcome(path: path, stored: writer.digest(), decryption: outcome)
    }

    private static func read(_ artifact: StoredArtifact, _ store: any BackupLocation, _ writer: FetchWriter) async throws {
        try await withTaskCancellationHandler {
            try await store.stream(artifact) { writer.write($0) }
        } onCancel: {
            writer.cancel()
        }
        if let failure = writer.failure {
            throw RestoreError(.error, step: "fetch", "cannot write the fetched copy of \(store.url(of: artifact.reference)): \(failure)")
        }
    }

    /// The free-space preflight before a fetch into `folder`: the passing case, nil when the
    /// filesystem cannot say, an error when `needed` and a margin do not fit. `note` ends the sentence on the sizes.
    static func spaceCase(needed: Int64, folder: String, fetching what: String, note: String = "") throws -> ReportCase? {
        let name = "free space for the fetched copy"
        guard let free = freeBytes(folder) else { return nil }
        let parent = (folder as NSString).deletingLastPathComponent
        // A margin for the filesystem and the server's own files; the restored database needs its own room.
        let margin = max(Int64(64 << 20), needed / 20)
        guard free >= needed + margin else {
            throw RestoreError(
                .error, step: name,
                "fetching \(what) needs \(ByteCount(needed + margin)) (\(ByteCount(needed)) and a margin), but \(parent) has \(ByteCount(free)) free\(note). Set TMPDIR to a larger filesystem. Nothing was fetched.")
        }
        return ReportCase(name: name, status: .passed, output: "needs \(ByteCount(needed)), \(ByteCount(free)) free in \(parent)")
    }

    /// Bytes free for an unprivileged writer on the filesystem holding `folder`.
    static func freeBytes(_ folder: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}

/// Hashes and writes what a transfer delivers, on the transfer's thread. A decryptor that
/// stopped reading (wrong key, damaged bytes) does not stop the hash: the stored bytes are
/// still measured to the end, so a changed artifact is reported as changed.
final class FetchWriter: @unchecked Sendable {
    // Fed by one transfer at a time (a retried GET resumes where it stopped), read after it ended.
    private var sha: StreamingDigest? = StreamingDigest()
    private(set) var count: Int64 = 0
    private(set) var failure: String?
    private var descriptor: Int32
    private let isPipe: Bool
    private let progress: @Sendable (Int64) -> Void
    private let stopped = Atomic<Bool>(false)

    init(descriptor: Int32, isPipe: Bool, progress: @escaping @Sendable (Int64) -> Void) {
        self.descriptor = descriptor
        self.isPipe = isPipe
        self.progress = progress
    }

    func cancel() { stopped.store(true, ordering: .relaxed) }

    /// True to go on reading.
    func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if stopped.load(ordering: .relaxed) { return false }
        sha?.update(chunk)
        count += Int64(chunk.count)
        progress(count)
        guard descriptor >= 0, failure == nil, let base = chunk.baseAddress else { return true }
        var offset = 0
        while offset < chunk.count {
            let written = Glibc.write(descriptor, base + offset, chunk.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                if isPipe && errno == EPIPE {
                    // The decryptor gave up; its exit status says why. Keep hashing.
                    Glibc.close(descriptor)
                    descriptor = -1
                    return true
                }
                failure = String(cString: strerror(errno))
                return false
            }
            offset += written
        }
        return true
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    func digest() -> ContentDigest {
        let hex = sha.take()?.finalizeHex() ?? ""
        return ContentDigest(size: ByteCount(count), sha256: hex)
    }
}
