import DrillSupport
import Foundation
import Objects
import Reports

extension DrillRunner {
    /// posture: each bucket's configuration judged against `posture:`, the drill's access to
    /// it proved, and, where the drill file allows the probe, its inability to write. Read-only
    /// (the probe cannot store anything). Like `objects`, a finding does not stop the drill.
    func checkPosture(_ section: PostureSection, plan: DrillPlan, recorder: PhaseRecorder) async {
        progress.phaseStarted("posture")
        let start = ContinuousClock.now
        var suite = ReportSuite(name: "posture", kind: .phase)
        let age = plan.backupCreatedAt.map { Duration.seconds(max(0, Date().timeIntervalSince($0))) }
        for bucket in section.buckets {
            let rules = PostureRules(bucket: bucket, section: section, backupAge: age)
            let client: S3Client
            do {
                var spec = bucket.settings.spec
                spec.url = bucket.bucketURL
                guard let store = try await spec.open() as? S3Store else { continue }
                client = store.client
            } catch {
                suite.cases.append(ReportCase(name: "\(rules.label): reachable", status: .error, message: SecretMasker.shared.mask("\(error)")))
                continue
            }
            progress.detail("posture: \(bucket.bucketURL)")
            suite.cases += rules.cases(await client.bucketSettings())
            suite.cases.append(await Self.accessCase(rules, client: client, prefix: bucket.prefixes.first ?? ""))
            if section.writeProbe { suite.cases.append(await Self.writeProbeCase(rules, client: client)) }
        }
        suite.seconds = (ContinuousClock.now - start).seconds
        let problem = suite.cases.first { $0.status == .failed || $0.status == .error }
        progress.phaseFinished("posture", status: suite.status, seconds: suite.seconds, message: problem?.message)
        recorder.append(suite)
    }

    /// The runbook's "validate access to restore buckets": a listing and a read of one object.
    static func accessCase(_ rules: PostureRules, client: S3Client, prefix: String) async -> ReportCase {
        let name = "\(rules.label): the drill's credentials can list and read"
        var scoped = client
        scoped.location.prefix = prefix
        do throws(S3Error) {
            let (listed, read) = try await scoped.sampleAccess()
            guard !listed.isEmpty else {
                return ReportCase(name: name, status: .failed, message: "\(rules.bucket.bucketURL)/\(prefix) lists no object: there is nothing to restore from there")
            }
            return ReportCase(
                name: name, status: .passed,
                output: "listed \(listed.count) object(s) under '\(prefix)'; "
                    + (read.isEmpty ? "all empty: nothing to read" : "read the first byte of \(read.map(\.key).joined(separator: ", "))"))
        } catch {
            let grant = error.code == .accessDenied ? " Grant s3:ListBucket and s3:GetObject on it." : ""
            return ReportCase(name: name, status: .error, message: "the drill's credentials cannot list and read \(rules.bucket.bucketURL)/\(prefix): \(error.message)\(grant)")
        }
    }

    static func writeProbeCase(_ rules: PostureRules, client: S3Client) async -> ReportCase {
        let name = "\(rules.label): the drill's credentials cannot write"
        switch await client.probeWrite() {
        case .refused(let answer):
            return ReportCase(name: name, status: .passed, output: "an UploadPart to no upload (needs s3:PutObject, cannot store anything) \(answer)")
        case .accepted(let answer):
            return ReportCase(
                name: name, status: .failed,
                message: "the store accepted the drill's credentials for s3:PutObject on \(rules.bucket.bucketURL) (an UploadPart to no upload \(answer), nothing was stored): the backups are within reach of the credentials a drill runs with. Give the drill read-only credentials")
        case .unknown(let answer):
            return ReportCase(name: name, status: .error, message: "the write probe could not tell (\(answer))")
        }
    }
}
