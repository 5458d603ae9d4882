import DrillSupport
import Foundation

extension EvidenceBundle {
    /// What a bundle that verified holds.
    public struct Verified: Sendable {
        public var drill: String
        public var status: String
        public var startedAt: String
        public var files: Int
        /// The fingerprint of the key that signed the manifest; nil when the bundle is unsigned.
        public var signedBy: String?
        /// True when the signature was checked against a key given by the auditor, not only the bundle's own.
        public var keyGiven: Bool
    }

    /// Checks `bundle`: it must unpack to plain files only, every file must be in the manifest
    /// with its SHA-256 and every manifest line must have its file, and a signature must verify
    /// (against `publicKeyPEM` when given, else the key in the bundle). A bundle is untrusted
    /// input: it is listed before it is unpacked, into a private folder, and links, devices,
    /// absolute names and `..` are refused.
    public static func verify(bundle: String, publicKeyPEM: String?) async throws(Problem) -> Verified {
        guard FileManager.default.isReadableFile(atPath: bundle) else {
            throw Problem(description: "cannot read \(bundle)", invalid: false)
        }
        let folder = try privateFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            try await unpack(bundle, into: folder)
            return try check(folder, publicKeyPEM: publicKeyPEM)
        } catch let problem as Problem {
            throw problem
        } catch let error as Ed25519Signing.KeyError {
            throw Problem(description: "the public key cannot be used: \(error)", invalid: false)
        } catch {
            throw Problem(description: "\(error)", invalid: true)
        }
    }

    static func unpack(_ bundle: String, into folder: String) async throws {
        let listed = try await ProcessRunner.run(ToolInvocation(executable: "tar", arguments: ["-tzvf", bundle], displayName: "tar -t", captureLimit: 1 << 20))
        guard listed.exitCode == 0 else {
            throw Problem(description: "\(bundle) is not a readable tar.gz: \(listed.standardError.trimmingCharacters(in: .whitespacesAndNewlines))", invalid: true)
        }
        for line in listed.standardOutput.split(separator: "\n") {
            // `-rw-r--r-- 0/0  1234 2026-11-24 14:05 ./reports/report.json`: only files and folders.
            guard let kind = line.first, kind == "-" || kind == "d" else {
                throw Problem(description: "\(bundle) holds something other than files and folders: \(line)", invalid: true)
            }
            let name = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).joined(separator: " ")
            if name.hasPrefix("/") || name.split(separator: "/").contains("..") {
                throw Problem(description: "\(bundle) names a file outside itself: \(name)", invalid: true)
            }
        }
        let unpacked = try await ProcessRunner.run(
            ToolInvocation(executable: "tar", arguments: ["--no-same-owner", "--no-same-permissions", "-xzf", bundle, "-C", folder], displayName: "tar -x"))
        guard unpacked.exitCode == 0 else {
            throw Problem(description: "\(bundle) cannot be unpacked: \(unpacked.standardError.trimmingCharacters(in: .whitespacesAndNewlines))", invalid: true)
        }
    }

    static func check(_ folder: String, publicKeyPEM: String?) throws -> Verified {
        guard let manifestData = FileManager.default.contents(atPath: folder + "/" + manifestName) else {
            throw Problem(description: "the bundle has no \(manifestName)", invalid: true)
        }
        let manifest = String(decoding: manifestData, as: UTF8.self)
        var listed: [String: String] = [:]
        for (number, line) in manifest.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 64, parts[1].isEmpty, !parts[2].isEmpty else {
                throw Problem(description: "\(manifestName):\(number + 1) is not a `sha256  path` line", invalid: true)
            }
            listed[String(parts[2])] = String(parts[0])
        }
        var present: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            var info = stat()
            guard lstat(folder + "/" + relative, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: continue
            case S_IFREG: if relative != manifestName && relative != signatureName { present.append(relative) }
            default: throw Problem(description: "the bundle holds \(relative), which is not a plain file", invalid: true)
            }
        }
        for file in present.sorted() {
            guard let recorded = listed[file] else { throw Problem(description: "\(file) is in the bundle but not in \(manifestName)", invalid: true) }
            let actual = try digest(folder + "/" + file)
            guard actual == recorded else {
                throw Problem(description: "\(file) was changed: its sha256 is \(actual), \(manifestName) records \(recorded)", invalid: true)
            }
        }
        if let absent = listed.keys.sorted().first(where: { !present.contains($0) }) {
            throw Problem(description: "\(absent) is in \(manifestName) but not in the bundle", invalid: true)
        }
        var signedBy: String?
        let signaturePath = folder + "/" + signatureName
        if let signature = FileManager.default.contents(atPath: signaturePath) {
            guard let key = publicKeyPEM ?? (try? String(contentsOfFile: folder + "/" + publicKeyName, encoding: .utf8)) else {
                throw Problem(description: "the bundle is signed but holds no \(publicKeyName): pass --public-key", invalid: true)
            }
            guard try Ed25519Signing.verify(manifestData, signature: signature, publicKeyPEM: key) else {
                throw Problem(
                    description: publicKeyPEM == nil
                        ? "the signature of \(manifestName) does not verify with the bundle's key: the manifest was changed after signing"
                        : "the signature of \(manifestName) does not verify with the given public key: another key signed it, or the manifest was changed",
                    invalid: true)
            }
            signedBy = try Ed25519Signing.fingerprint(publicKeyPEM: key)
        } else if publicKeyPEM != nil {
            throw Problem(description: "the bundle is not signed, and a public key was given to check its signature", invalid: true)
        }
        let evidence = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/evidence.json")))) as? [String: Any]
        return Verified(
            drill: evidence?["drill"] as? String ?? "?", status: evidence?["status"] as? String ?? "?", startedAt: evidence?["started_at"] as? String ?? "?",
            files: present.count, signedBy: signedBy, keyGiven: publicKeyPEM != nil)
    }
}
