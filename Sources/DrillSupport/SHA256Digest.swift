import COpenSSL
import Foundation
import Synchronization

/// A streaming digest over OpenSSL's EVP interface: SHA-256 by default (hardware-accelerated
/// where the CPU has SHA-NI), MD5 on request.
public struct StreamingDigest: ~Copyable {
    private let context: OpaquePointer

    /// Starts a new digest.
    public init() { self.init(algorithm: fetchedSHA256 ?? EVP_sha256()) }

    /// An MD5 digest: only for comparing S3 ETags of single-part uploads, never as proof of content.
    public static func md5() -> StreamingDigest { StreamingDigest(algorithm: fetchedMD5 ?? EVP_md5()) }

    private init(algorithm: OpaquePointer?) {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, algorithm, nil) == 1 else {
            fatalError("OpenSSL could not initialise a digest")
        }
        self.context = context
    }

    /// Feeds `buffer` into the digest.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        EVP_DigestUpdate(context, base, buffer.count)
    }

    /// Feeds `data` into the digest.
    public mutating func update(_ data: some DataProtocol) {
        for region in data.regions { region.withUnsafeBytes { update($0) } }
    }

    /// Finishes the digest and returns it as lowercase hex.
    public consuming func finalizeHex() -> String { finalizeBytes().hex }

    /// Finishes the digest and returns its first 32 bytes (all of a SHA-256) as four words in
    /// memory order, without an allocation: read them with `UInt64(bigEndian:)` for the value.
    public consuming func finalize32() -> (UInt64, UInt64, UInt64, UInt64) {
        var length: UInt32 = 0
        var digest: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { raw in
            _ = EVP_DigestFinal_ex(context, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
        }
        return (digest.0, digest.1, digest.2, digest.3)
    }

    /// Finishes the digest and returns its bytes.
    public consuming func finalizeBytes() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }

    deinit { EVP_MD_CTX_free(context) }
}

// OpenSSL 3 looks a built-in algorithm up in its provider store (under a lock) at every
// EVP_DigestInit_ex; fetched once here, a digest per small object no longer pays for that.
// Fetched algorithms are immutable and may be shared between threads.
private nonisolated(unsafe) let fetchedSHA256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)
private nonisolated(unsafe) let fetchedMD5: OpaquePointer? = EVP_MD_fetch(nil, "MD5", nil)

/// The size and SHA-256 of a file or of a directory tree.
public struct ContentDigest: Sendable, Equatable {
    /// Bytes read.
    public var size: ByteCount
    /// Lowercase hex SHA-256.
    public var sha256: String

    /// A measured size and digest.
    public init(size: ByteCount, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// Hashes a file, or a directory as the SHA-256 of its sorted `sha256  relative/path` lines
    /// (the `sha256sum` format), so a pg_dump directory archive has one checksum too.
    /// Files are opened read-only; reading runs off the cooperative pool and stops on cancellation.
    public static func of(path: String, progress: (@Sendable (Int64) -> Void)? = nil) async throws -> ContentDigest {
        let cancelled = Atomic<Bool>(false)
        return try await withTaskCancellationHandler {
            try await BlockingWork.run {
                try digest(path: path, cancelled: cancelled, progress: progress)
            }
        } onCancel: {
            cancelled.store(true, ordering: .relaxed)
        }
    }

    private static func digest(path: String, cancelled: borrowing Atomic<Bool>, progress: (@Sendable (Int64) -> Void)?)
        throws -> ContentDigest
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DigestError(path: path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return try digestFile(path: path, cancelled: cancelled, progress: progress) }
        let files = (FileManager.default.subpaths(atPath: path) ?? []).filter { relative in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isDir)
            return !isDir.boolValue
        }.sorted()
        var listing = ""
        var total: Int64 = 0
        for relative in files {
            let file = try digestFile(path: path + "/" + relative, cancelled: cancelled, progress: progress)
            listing += "\(file.sha256)  \(relative)\n"
            total += file.size.bytes
        }
        var hasher = StreamingDigest()
        hasher.update(Data(listing.utf8))
        return ContentDigest(size: ByteCount(total), sha256: hasher.finalizeHex())
    }

    private static func digestFile(path: String, cancelled: borrowing Atomic<Bool>, progress: (@Sendable (Int64) -> Void)?)
        throws -> ContentDigest
    {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DigestError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var hasher = StreamingDigest()
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            if cancelled.load(ordering: .relaxed) { throw CancellationError() }
            let count = read(descriptor, buffer.baseAddress, chunk)
            if count < 0 {
                if errno == EINTR { continue }
                throw DigestError(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
            progress?(Int64(count))
        }
        return ContentDigest(size: ByteCount(total), sha256: hasher.finalizeHex())
    }
}

/// A file that could not be read while hashing.
public struct DigestError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The operating system's reason.
    public var reason: String

    public var description: String { "cannot read \(path): \(reason)" }
}
