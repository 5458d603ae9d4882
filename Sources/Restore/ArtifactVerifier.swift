import DrillSupport
import Foundation

/// The size and checksum an artifact has, next to the ones recorded for it.
public struct ArtifactVerification: Sendable {
    /// What was measured.
    public var actual: ContentDigest
    /// Recorded size, if any.
    public var expectedSize: Int64?
    /// Recorded SHA-256, if any.
    public var expectedSHA256: String?

    /// Compares what was measured with what was recorded.
    public init(actual: ContentDigest, expectedSize: Int64?, expectedSHA256: String?) {
        self.actual = actual
        self.expectedSize = expectedSize
        self.expectedSHA256 = expectedSHA256
    }

    /// nil when nothing was recorded.
    public var sizeMatches: Bool? { expectedSize.map { $0 == actual.size.bytes } }
    /// nil when nothing was recorded.
    public var checksumMatches: Bool? { expectedSHA256.map { $0.lowercased() == actual.sha256 } }
    /// True when nothing recorded disagrees and something was recorded.
    public var passed: Bool { sizeMatches != false && checksumMatches != false }
}

/// Streams an artifact through SHA-256 (read-only) and compares it with the recorded values.
public enum ArtifactVerifier {
    /// Measures `path` and compares; reading failures are harness errors, mismatches are returned, not thrown.
    public static func verify(
        path: String, expectedSize: Int64?, expectedSHA256: String?, progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> ArtifactVerification {
        let actual: ContentDigest
        do {
            actual = try await ContentDigest.of(path: path, progress: progress)
        } catch let error as DigestError {
            let missing = !FileManager.default.fileExists(atPath: path)
            throw RestoreError(
                missing ? .failure : .error, step: "fetch",
                missing ? "the backup artifact \(path) does not exist" : "cannot read the backup artifact: \(error)")
        }
        return ArtifactVerification(actual: actual, expectedSize: expectedSize, expectedSHA256: expectedSHA256)
    }
}
