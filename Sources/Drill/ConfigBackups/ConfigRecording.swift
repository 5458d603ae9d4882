import ConfigBundles
import DrillSupport
import Foundation
import Restore

/// `restore-drill record --config FORMAT BUNDLE [--stored COPY] --fingerprint-key REF`: the
/// stored file's size and SHA-256, and an HMAC of each value of the plaintext bundle.
public enum ConfigRecording {
    /// Writes the sidecar beside the stored file (or to `output`); returns it, its path, and the number of values.
    public static func record(bundle: String, format formatName: String, stored: String?, fingerprintKey: String?, output: String?) async throws
        -> (metadata: ConfigMetadata, path: String)
    {
        guard let format = ConfigFormat(rawValue: formatName) else {
            throw ConfigError(file: "--config", message: "expected one of \(ConfigFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let values: ConfigValues
        switch try await ConfigBundleFile.values(bundle, format: format) {
        case .success(let parsed): values = parsed
        case .failure(let problem): throw RestoreError(.failure, step: "config", "\(bundle) does not parse as \(format.rawValue): \(problem.message)")
        }
        var fingerprints: [String: String] = [:]
        if let fingerprintKey {
            guard let reference = SecretReference.parse(fingerprintKey) else {
                throw ConfigError(file: "--fingerprint-key", message: "give the key by reference: env:NAME, file:PATH or command:CMD")
            }
            fingerprints = ConfigRules.fingerprints(values, key: try await reference.resolve())
        }
        let storedPath = stored ?? bundle
        let digest = try await ContentDigest.of(path: storedPath)
        let metadata = ConfigMetadata(
            artifact: (storedPath as NSString).lastPathComponent, format: format.rawValue, size: digest.size.bytes, sha256: digest.sha256, createdAt: Date(),
            fingerprints: fingerprints)
        let path = output ?? storedPath + BackupMetadataNames.sidecarSuffix
        try metadata.encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
        return (metadata, path)
    }
}
