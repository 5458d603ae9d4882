import ConfigBundles
import DrillSupport
import Foundation
import Provisioning
import Reports
import Restore

extension DrillRunner {
    /// config: each configuration bundle fetched (hashed as stored, decrypted) into a private
    /// folder removed right after, verified against what `record --config` wrote, parsed, and
    /// checked; then each key a restore needs resolved within its timeout. Names only, never a
    /// value. Like `posture`, a finding does not stop the drill.
    func checkConfig(_ section: ConfigSection, recorder: PhaseRecorder) async {
        progress.phaseStarted("config")
        let start = ContinuousClock.now
        var suite = ReportSuite(name: "config", kind: .phase)
        var fingerprintKey: Result<String, SecretError>?
        if let text = section.fingerprintKey, let reference = SecretReference.parse(text) {
            do throws(SecretError) {
                fingerprintKey = .success(try await reference.resolve())
            } catch {
                fingerprintKey = .failure(error)
            }
        }
        for bundle in section.bundles {
            progress.detail("config: \(bundle.name)")
            suite.cases += await Self.bundleCases(bundle, fingerprintKey: fingerprintKey, keyReference: section.fingerprintKey)
        }
        for key in section.keys {
            progress.detail("config: key \(key.name)")
            suite.cases.append(await Self.keyCase(key))
        }
        suite.seconds = (ContinuousClock.now - start).seconds
        let problem = suite.cases.first { $0.status == .failed || $0.status == .error }
        progress.phaseFinished("config", status: suite.status, seconds: suite.seconds, message: problem?.message)
        recorder.append(suite)
    }

    static func bundleCases(_ bundle: ConfigSection.Bundle, fingerprintKey: Result<String, SecretError>?, keyReference: String?) async -> [ReportCase] {
        let label = "config \(bundle.name)"
        let folder: String
        do {
            folder = try ScratchDirectory.create(root: nil, owner: nil)
        } catch {
            return [ReportCase(name: "\(label): fetched", status: .error, message: "\(error)")]
        }
        let cases = await bundleCases(bundle, label: label, folder: folder, fingerprintKey: fingerprintKey, keyReference: keyReference)
        await ArtifactDecryption.stopAgents(in: folder)
        _ = ScratchDirectory.remove(folder)
        return cases
    }

    private static func bundleCases(
        _ bundle: ConfigSection.Bundle, label: String, folder: String, fingerprintKey: Result<String, SecretError>?, keyReference: String?
    ) async -> [ReportCase] {
        let pattern = LocationPattern.parse(bundle.location)
        let fetched: (ArtifactFetch.Outcome, ConfigMetadata?)
        do {
            guard !pattern.namesSeveral else {
                return [ReportCase(name: "\(label): fetched", status: .error, message: "\(bundle.location) must name one file (no glob or prefix)")]
            }
            let store = try await BackupLocations.open(pattern, s3: bundle.s3)
            let listed = try await BackupLocating.readable(bundle.location) { try await store.list(pattern) }
            guard let artifact = listed.first else {
                return [ReportCase(name: "\(label): fetched", status: .failed, message: "\(bundle.location) does not exist: the configuration backup was not written, or was moved or deleted")]
            }
            let sidecar: Data? = try await BackupLocating.readable(bundle.location) { try await store.readSmall(artifact.reference + BackupMetadataNames.sidecarSuffix) }
            let outcome = try await BackupLocating.readable(bundle.location, .object) {
                try await ArtifactFetch.fetch(artifact, from: store, into: folder, decryption: bundle.encryption, user: nil) { _ in }
            }
            fetched = (outcome, sidecar.flatMap(ConfigMetadata.decode))
        } catch {
            return [ReportCase(name: "\(label): fetched", status: .error, message: SecretMasker.shared.mask("\(error)"))]
        }
        let (outcome, metadata) = fetched
        var cases: [ReportCase] = []
        let checksumName = "\(label): size and sha256 match the recorded ones"
        if let metadata {
            let matches = metadata.size == outcome.stored.size.bytes && metadata.sha256.lowercased() == outcome.stored.sha256
            cases.append(
                matches
                    ? ReportCase(name: checksumName, status: .passed, output: "\(outcome.stored.size.bytes) bytes, sha256 \(outcome.stored.sha256)")
                    : ReportCase(
                        name: checksumName, status: .failed,
                        message: "\(bundle.location) has \(outcome.stored.size.bytes) bytes with sha256 \(outcome.stored.sha256), but \(metadata.size) bytes with \(metadata.sha256) were recorded: it changed since it was recorded"))
            if !matches { return cases }
        } else {
            cases.append(
                ReportCase(
                    name: checksumName, status: .skipped,
                    message: "nothing was recorded beside \(bundle.location) (restore-drill record --config \(bundle.format.rawValue) FILE writes it)", output: outcome.stored.sha256))
        }
        if let encryption = bundle.encryption, let decryption = outcome.decryption {
            let name = "\(label): decrypts with \(encryption.tool.rawValue)"
            switch decryption {
            case .decrypted(let summary): cases.append(ReportCase(name: name, status: .passed, output: "\(summary), with \(encryption.keyReference)"))
            case .wrongKey(let message):
                cases.append(ReportCase(name: name, status: .error, message: "\(encryption.keyReference) does not decrypt \(bundle.location): \(message). Give the key the bundle was encrypted to."))
                return cases
            case .damaged(let message):
                cases.append(ReportCase(name: name, status: .failed, message: "\(bundle.location) does not decrypt with \(encryption.keyReference): \(message). The bundle is damaged or incomplete."))
                return cases
            }
        }
        let parseName = "\(label): parses as \(bundle.format.rawValue)"
        let values: ConfigValues
        do {
            switch try await ConfigBundleFile.values(outcome.path, format: bundle.format) {
            case .success(let parsed): values = parsed
            case .failure(let problem):
                cases.append(ReportCase(name: parseName, status: .failed, message: "\(bundle.location) does not parse as \(bundle.format.rawValue): \(problem.message)"))
                return cases
            }
        } catch {
            cases.append(ReportCase(name: parseName, status: .error, message: SecretMasker.shared.mask("\(error)")))
            return cases
        }
        // Nothing prints a value; should any tool's output ever hold a long one, it is masked.
        for entry in values.entries where entry.value.count >= 8 { SecretMasker.shared.register(entry.value) }
        let shown = values.names.prefix(30).joined(separator: ", ") + (values.entries.count > 30 ? " and \(values.entries.count - 30) more" : "")
        cases.append(ReportCase(name: parseName, status: .passed, output: "\(values.entries.count) value(s): \(shown)"))
        if !bundle.requiredKeys.isEmpty {
            let name = "\(label): required keys are present and not empty"
            let (missing, empty) = ConfigRules.requiredKeys(values, bundle.requiredKeys)
            if missing.isEmpty && empty.isEmpty {
                cases.append(ReportCase(name: name, status: .passed, output: bundle.requiredKeys.joined(separator: ", ")))
            } else {
                let parts = [missing.isEmpty ? nil : "missing: \(missing.joined(separator: ", "))", empty.isEmpty ? nil : "empty: \(empty.joined(separator: ", "))"]
                cases.append(
                    ReportCase(
                        name: name, status: .failed,
                        message: "\(bundle.location) lacks what a restore needs (\(parts.compactMap { $0 }.joined(separator: "; "))): a restored service would start without it"))
            }
        }
        cases.append(fingerprintCase(label, values, metadata: metadata, key: fingerprintKey, keyReference: keyReference, location: bundle.location))
        if bundle.format == .kubernetes {
            let name = "\(label): every Secret and ConfigMap the workloads name is in the bundle"
            let problems = ConfigRules.unresolvedReferences(values)
            let workloads = values.objects.filter { !$0.references.isEmpty }.count
            cases.append(
                problems.isEmpty
                    ? ReportCase(name: name, status: .passed, output: "\(workloads) workload(s), \(values.objects.count) object(s)")
                    : ReportCase(name: name, status: .failed, message: problems.joined(separator: "; ")))
        }
        return cases
    }

    private static func fingerprintCase(
        _ label: String, _ values: ConfigValues, metadata: ConfigMetadata?, key: Result<String, SecretError>?, keyReference: String?, location: String
    ) -> ReportCase {
        let name = "\(label): values match the fingerprints recorded at backup time"
        guard let recorded = metadata?.fingerprints, !recorded.isEmpty else {
            return ReportCase(name: name, status: .skipped, message: "no fingerprints were recorded (restore-drill record --config FORMAT FILE --fingerprint-key REF)")
        }
        switch key {
        case nil:
            return ReportCase(
                name: name, status: .error,
                message: "\(recorded.count) value(s) of \(location) were fingerprinted at backup time: give config.fingerprint_key, the key record --config used, to compare them")
        case .failure(let error)?:
            return ReportCase(name: name, status: .error, message: "config.fingerprint_key (\(keyReference ?? "")) does not resolve: \(error)")
        case .success(let secret)?:
            let (changed, gone) = ConfigRules.compare(recorded: recorded, current: ConfigRules.fingerprints(values, key: secret))
            guard changed.isEmpty && gone.isEmpty else {
                let parts = [changed.isEmpty ? nil : "changed: \(changed.joined(separator: ", "))", gone.isEmpty ? nil : "gone: \(gone.joined(separator: ", "))"]
                return ReportCase(
                    name: name, status: .failed,
                    message: "values of \(location) differ from those fingerprinted at backup time (\(parts.compactMap { $0 }.joined(separator: "; "))), or the fingerprint key is not the one record used")
            }
            return ReportCase(name: name, status: .passed, output: "\(recorded.count) value(s) match")
        }
    }

    /// A key a restore needs (Vault, KMS, a password manager's CLI) resolves within its timeout; its value is never shown.
    static func keyCase(_ key: ConfigSection.Key) async -> ReportCase {
        let name = "key \(key.name) resolves within \(DrillDuration.format(key.timeout))"
        guard let reference = SecretReference.parse(key.reference) else { return ReportCase(name: name, status: .error, message: "not a reference") }
        let start = ContinuousClock.now
        let outcome: Result<String, SecretError>? = await withTaskGroup(of: Result<String, SecretError>?.self) { group in
            group.addTask {
                do throws(SecretError) {
                    return .success(try await reference.resolve())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: key.timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let seconds = (ContinuousClock.now - start).seconds
        switch outcome {
        case .success(let value)? where !value.isEmpty:
            return ReportCase(name: name, status: .passed, seconds: seconds, output: "resolved in \(String(format: "%.1f", seconds)) s (the value is not shown)")
        case .success?:
            return ReportCase(name: name, status: .failed, seconds: seconds, message: "\(key.reference) resolved to an empty value")
        case .failure(let error)?:
            return ReportCase(name: name, status: .failed, seconds: seconds, message: SecretMasker.shared.mask("\(error)"))
        case nil:
            return ReportCase(
                name: name, status: .failed, seconds: seconds,
                message: "\(key.reference) did not resolve within \(DrillDuration.format(key.timeout)): the key a restore needs is not reachable from here")
        }
    }
}
