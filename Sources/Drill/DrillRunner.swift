import Checks
import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Recovery
import Reports
import Restore
import Synchronization

/// What a finished drill hands back to the command line.
public struct DrillOutcome: Sendable {
    /// The report (also written to disk when a reports dir was known).
    public var report: DrillReport
    /// The exit code to use.
    public var exitCode: DrillExitCode
    /// Report files written.
    public var reportPaths: [String]
    /// With `--keep`: how to connect to and stop the server left running.
    public var keepInstructions: String?
}

/// Runs one drill phase by phase: plan, verify, provision, restore, quarantine, checks,
/// measure, teardown, report. Never throws: every outcome, including interruption, ends
/// in a report and an exit code, and the server is torn down on every path.
public struct DrillRunner: Sendable {
    let options: DrillOptions
    let progress: any DrillProgress
    let provisioner: any Provisioner

    /// Creates a runner.
    public init(options: DrillOptions, progress: any DrillProgress = SilentProgress(), provisioner: any Provisioner = PgCtlProvisioner()) {
        self.options = options
        self.progress = progress
        self.provisioner = provisioner
    }

    /// Runs the drill described by the file at `path`.
    public func run(drillFile path: String) async -> DrillOutcome {
        let startedAt = Date()
        let clock = ContinuousClock.now
        let recorder = PhaseRecorder(progress: progress)
        var state = DrillState()
        do {
            try await runPhases(path: path, recorder: recorder, state: &state, clock: clock, startedAt: startedAt)
        } catch {
            // Phases recorded what went wrong; cancellation is read from the task below.
        }
        let interrupted = Task.isCancelled
        if let suite = await stopServices(state.services, recorder: recorder) { recorder.append(suite) }
        var keepInstructions: String?
        if let server = state.server, options.keep && !interrupted {
            state.keep.set()
            keepInstructions = await server.keepInstructions(database: state.plan?.database ?? "postgres")
            // Everything but the kept server (whose entry now does nothing) is still released.
            _ = await state.teardown.unwind()
            recorder.append(ReportSuite(name: "teardown", kind: .phase, cases: [ReportCase(name: "server left running", status: .skipped, message: "--keep: the restored server keeps running")]))
        } else if !state.teardown.isEmpty {
            await tearDown(state.teardown, recorder: recorder)
        }
        if let notify = state.file?.notify {
            let verdict = DrillVerdict.exitCode(for: recorder.suites.flatMap(\.cases), interrupted: interrupted, usageError: recorder.usageError)
            recorder.append(await Heartbeat.send(notify, passed: verdict == .passed))
        }
        return finish(recorder: recorder, state: state, startedAt: startedAt, interrupted: interrupted, keepInstructions: keepInstructions)
    }

    private func runPhases(path: String, recorder: PhaseRecorder, state: inout DrillState, clock: ContinuousClock.Instant, startedAt: Date) async throws {
        var (plan, variables) = try await recorder.phase("plan") { suite in
            let file = try DrillFileParser.load(path: path)
            state.file = file
            let result = try await DrillPlanner.plan(file, options: options)
            suite.cases.append(ReportCase(name: "drill file is valid", status: .passed, output: file.path))
            let swept = await LeftoverSweep.sweepDead()
            if !swept.isEmpty {
                suite.cases.append(
                    ReportCase(name: "what dead drills left behind was removed", status: .passed, output: swept.joined(separator: "\n")))
            }
            suite.cases.append(ReportCase(name: "backup found", status: .passed, output: "\(result.0.sourceLocation) (\(result.0.formatName))"))
            if let located = result.0.logical?.located, let choice = located.choice {
                suite.cases.append(
                    ReportCase(
                        name: "backup chosen (\((file.backup.select ?? .latest).description))", status: .passed,
                        output: "\(located.artifact.name) of \(located.candidates) in \(file.backup.location): \(choice.reason)"))
            }
            if let physical = result.0.physical {
                suite.cases.append(
                    ReportCase(
                        name: "base backup chosen for the target", status: .passed,
                        output: "\(physical.choice.backup.name) for \(physical.target): \(physical.choice.reason)"))
            }
            suite.cases.append(
                ReportCase(name: "PostgreSQL \(result.0.majorVersion) binaries found", status: .passed, output: "\(result.0.serverBinaries.directory) (\(result.0.serverBinaries.version))"))
            // Before anything is restored: the verdict must have somewhere to go.
            let reports = DrillPlanner.reportsDirectory(file, options: options)
            do {
                try ReportsFolder.claim(reports, sources: Self.sources(of: result.0))
            } catch {
                state.reportsRefused = true
                throw error
            }
            state.reportsClaimed = reports
            suite.cases.append(ReportCase(name: "reports folder is writable and this drill's alone", status: .passed, output: reports))
            return result
        }
        state.plan = plan
        // Before anything is fetched: the buckets' posture is judged whatever the restore finds.
        if let posture = plan.file.posture { await checkPosture(posture, plan: plan, recorder: recorder) }
        if let config = plan.file.config { await checkConfig(config, recorder: recorder) }

        let fetched = try await plan.source.fetch(&plan, runner: self, recorder: recorder, state: &state)
        state.plan = plan
        if case .external = plan.backup {} else {
            let verification = try await recorder.phase("verify") { suite in
                let verification = try await verify(plan, fetched: fetched, suite: &suite)
                // A fetched copy is read only once it proved to be the recorded, decryptable artifact.
                if fetched != nil, !suite.cases.contains(where: { $0.status == .failed || $0.status == .error }) {
                    try await plan.source.inspectFetched(&plan, suite: &suite)
                }
                return verification
            }
            state.verification = verification
            state.plan = plan
        }

        let server = try await plan.source.restore(plan, runner: self, recorder: recorder, state: &state)

        // A dump that made its own database (pg_dump --create, pg_dumpall) is checked there,
        // unless the drill file names the database.
        if plan.file.backup.database == nil, let restored = state.restored, restored.database != plan.database {
            plan.database = restored.database
            state.plan = plan
        }

        if case .logical(let logical) = plan.backup, let restored = state.restored {
            try await recorder.phase("completeness") { suite in
                suite.cases += try await CompletenessPhase.cases(plan, logical, server: server, restored: restored) { progress.detail($0) }
            }
        }

        if case .physical(let physical) = plan.backup, case .name(let point) = physical.target.kind,
            let fingerprints = CompletenessPhase.recordedFingerprints(point, plan, physical)
        {
            try await recorder.phase("completeness") { suite in
                suite.cases.append(try await CompletenessPhase.restorePointCase(fingerprints, plan, server: server) { progress.detail($0) })
            }
        }

        try await recorder.phase("quarantine") { suite in
            let physical: Bool
            if case .physical = plan.backup { physical = true } else { physical = false }
            suite.cases += await Quarantine.audit(
                server, database: plan.database, listenOnLoopback: plan.file.postgres.listenOnLoopback, physical: physical)
        }

        var context = CheckContext(
            connection: server.connection.with(database: plan.database), variables: variables.values,
            recoveryPoint: state.recovery?.lastCommitTime ?? plan.backupCreatedAt, concurrency: plan.file.checkConcurrency ?? 4)
        context.binDirectory = server.binaries.directory
        context.sandbox = server.sandbox
        context.drillEnvironment = [
            "DRILL_NAME": plan.file.name, "DRILL_DATABASE": plan.database, "DRILL_REPORT_DIR": plan.reportsDirectory,
            "DRILL_RECOVERY_TARGET": plan.physical.map { "\($0.target.typeName) \($0.target.valueText)" } ?? "end of logical dump",
        ]
        if let point = context.recoveryPoint { context.drillEnvironment["DRILL_RECOVERY_POINT"] = TimestampText.iso(point) }
        context.drillEnvironment["DRILL_FILE_DIR"] = plan.file.baseDirectory
        context.drillEnvironment["DRILL_PG_BIN_DIR"] = server.binaries.directory
        context.drillEnvironment["DRILL_BACKUP_PATH"] = plan.artifactPath
        context.drillEnvironment.merge(plan.source.checkEnvironment(plan)) { $1 }
        if let section = plan.file.objects {
            if section.spec.url.hasPrefix("s3://") {
                context.drillEnvironment["DRILL_OBJECTS_BUCKET"] = String(section.spec.url.dropFirst(5).prefix { $0 != "/" })
                if let endpoint = section.spec.endpoint { context.drillEnvironment["DRILL_OBJECTS_ENDPOINT"] = endpoint }
            } else {
                context.drillEnvironment["DRILL_OBJECTS_FOLDER"] = section.spec.url.hasPrefix("file://") ? String(section.spec.url.dropFirst(7)) : section.spec.url
            }
        }
        var objectsMatched = true
        if let section = plan.file.objects {
            try Task.checkCancellation()
            objectsMatched = await compareObjects(
                section, plan: plan, context: &context, scratch: server.scratchDirectory, recorder: recorder, state: &state)
        }
        try await startServices(plan, context: &context, recorder: recorder, state: &state)
        try Task.checkCancellation()
        progress.phaseStarted("checks")
        let checksStart = ContinuousClock.now
        var results = await CheckRunner.run(plan.checks, context: context) { result in
            progress.detail("check \(result.check.id): \(result.status.rawValue)")
        }
        results += plan.checksLeftOut.map {
            CheckResult(check: $0, status: .skipped, duration: .zero, message: plan.leftOutReasons[$0.id] ?? "not selected (--only/--skip)", observed: "")
        }
        for suite in CheckSuites.suites(from: results) {
            recorder.append(suite)
        }
        let checkStatus = ReportSuite(name: "checks", kind: .checks, cases: results.map(CheckSuites.reportCase)).status
        progress.phaseFinished("checks (\(results.count))", status: checkStatus, seconds: (ContinuousClock.now - checksStart).seconds, message: results.first { $0.status == .failed || $0.status == .error }.map { "\($0.check.id): \($0.message)" })
        try Task.checkCancellation()
        let checksPassed = objectsMatched && results.allSatisfy { $0.status == .passed || $0.status == .skipped }
        state.rtoSeconds = checksPassed ? (ContinuousClock.now - clock).seconds : nil

        try await recorder.phase("measure") { suite in
            suite.cases += Measurement.cases(
                plan: plan, recovery: state.recovery, rtoSeconds: state.rtoSeconds, checksPassed: checksPassed, startedAt: startedAt)
        }
    }

    /// The verify phase's cases; the recorded-checksum comparison, nil for a source that checks its own.
    private func verify(_ plan: DrillPlan, fetched: ArtifactFetch.Outcome?, suite: inout ReportSuite) async throws -> ArtifactVerification? {
        let start = ContinuousClock.now
        let counter = ByteCounter()
        let total = plan.expectedSize
        guard plan.source.usesRecordedChecksum else {
            suite.cases += try await plan.source.verifyCases(plan)
            return nil
        }
        let verification: ArtifactVerification
        if let fetched {
            // Hashed as it was fetched: the stored bytes, before decryption.
            verification = ArtifactVerification(actual: fetched.stored, expectedSize: plan.expectedSize, expectedSHA256: plan.expectedSHA256)
        } else {
            verification = try await ArtifactVerifier.verify(
                path: plan.artifactPath, expectedSize: plan.expectedSize, expectedSHA256: plan.expectedSHA256
            ) { bytes in
                let done = counter.add(bytes)
                progress.detail("sha256: \(ByteCount(done))\(total.map { " of \(ByteCount($0))" } ?? "")")
            }
        }
        let seconds = (ContinuousClock.now - start).seconds
        let actual = verification.actual
        switch verification.sizeMatches {
        case true?: suite.cases.append(ReportCase(name: "size matches the recorded size", status: .passed, seconds: seconds, output: "\(actual.size.bytes) bytes"))
        case false?:
            suite.cases.append(
                ReportCase(
                    name: "size matches the recorded size", status: .failed, seconds: seconds,
                    message: "the artifact has \(actual.size.bytes) bytes but \(verification.expectedSize!) were recorded at backup time: it is \(actual.size.bytes < verification.expectedSize! ? "truncated" : "not the recorded file"). Nothing was restored."))
        case nil:
            suite.cases.append(ReportCase(name: "size matches the recorded size", status: .skipped, message: "no size was recorded for this backup (restore-drill record ARTIFACT writes one)"))
        }
        switch verification.checksumMatches {
        case true?: suite.cases.append(ReportCase(name: "sha256 matches the recorded checksum", status: .passed, seconds: seconds, output: actual.sha256))
        case false?:
            suite.cases.append(
                ReportCase(
                    name: "sha256 matches the recorded checksum", status: .failed, seconds: seconds,
                    message: "sha256 of \(plan.sourceLocation) is \(actual.sha256), but \(verification.expectedSHA256!) was recorded: the artifact changed since it was recorded. Nothing was restored."))
        case nil:
            suite.cases.append(ReportCase(name: "sha256 matches the recorded checksum", status: .skipped, message: "no checksum was recorded for this backup (restore-drill record ARTIFACT writes one)", output: actual.sha256))
        }
        if let fetched, let decrypted = Self.decryptionCase(fetched, plan: plan, storedMatches: verification.passed) { suite.cases.append(decrypted) }
        suite.cases += try await plan.source.verifyCases(plan)
        return verification
    }

    /// Folders of the backup that the reports must stay out of.
    static func sources(of plan: DrillPlan) -> [String] { plan.source.backupFolders(plan) }

    /// Unwinds the drill's teardown stack (outside cancellation) into the teardown suite.
    private func tearDown(_ stack: TeardownStack, recorder: PhaseRecorder) async {
        progress.phaseStarted("teardown")
        let start = ContinuousClock.now
        let releases = await stack.unwind()
        let seconds = (ContinuousClock.now - start).seconds
        let problems = releases.flatMap(\.problems)
        let item = problems.isEmpty
            ? ReportCase(name: "server stopped and temp dir removed", status: .passed, seconds: seconds, output: releases.map(\.name).joined(separator: ", "))
            : ReportCase(name: "server stopped and temp dir removed", status: .error, seconds: seconds, message: problems.joined(separator: "; "))
        recorder.append(ReportSuite(name: "teardown", kind: .phase, seconds: seconds, cases: [item]))
        progress.phaseFinished("teardown", status: item.status, seconds: seconds, message: item.message)
    }

    private func finish(recorder: PhaseRecorder, state: DrillState, startedAt: Date, interrupted: Bool, keepInstructions: String?) -> DrillOutcome {
        // The heartbeat reports the verdict; it never changes it.
        let cases = recorder.suites.filter { $0.name != Heartbeat.suiteName }.flatMap(\.cases)
        let exitCode = DrillVerdict.exitCode(for: cases, interrupted: interrupted, usageError: recorder.usageError)
        let status = DrillVerdict.status(for: exitCode)
        var report = ReportBuilder.build(
            state: state, suites: recorder.suites, status: status, exitCode: exitCode, startedAt: startedAt,
            fallbackName: state.file?.name ?? "unnamed drill")
        report.objects = state.objects
        var paths: [String] = []
        var finalCode = exitCode
        let directory = state.file.map { DrillPlanner.reportsDirectory($0, options: options) } ?? options.reportsDirectory
        // A folder another drill holds, or one inside a backup, is never written.
        if let directory, !state.reportsRefused {
            do {
                paths = try ReportWriter.write(report, to: directory)
                if let file = state.file, let copy = Self.writeDrillFileAsRun(file.path, into: directory) { paths.append(copy) }
                // The page shows this run among the earlier ones: written again once the history has it.
                if let history = recordHistory(report, reportsDirectory: directory, file: state.file) {
                    let runs = DrillHistory.load(folder: history, drill: report.drill).entries
                    if runs.count >= 2 { _ = try? HTMLReportWriter.write(report, history: runs, to: directory) }
                }
            } catch {
                FileHandle.standardError.write(Data("restore-drill: cannot write reports to \(directory): \(YAMLValue.describe(error))\n".utf8))
                // A verdict that cannot be delivered is the harness's failure, whatever it was.
                if finalCode != .interrupted { finalCode = .harness }
            }
        }
        if let claimed = state.reportsClaimed { ReportsFolder.release(claimed) }
        return DrillOutcome(report: report, exitCode: finalCode, reportPaths: paths, keepInstructions: keepInstructions)
    }
}

extension DrillRunner {
    /// The restore-drill version recorded with every run.
    public static let toolVersion = "0.1.0"

    /// The drill file as it was run, beside the reports (`drill-file.yaml`), with every secret
    /// this run resolved masked: what an auditor's evidence bundle carries. Nil when it cannot
    /// be read or written (the reports stand without it).
    static func writeDrillFileAsRun(_ path: String, into directory: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let copy = directory + "/drill-file.yaml"
        let header = "# The drill file as run: \(path) (secrets this run resolved are masked)\n"
        do {
            try (header + SecretMasker.shared.mask(text)).write(toFile: copy, atomically: true, encoding: .utf8)
            return copy
        } catch {
            return nil
        }
    }

    /// Appends this run to the history (`--history`, `reports.history`, else `REPORTS/history`);
    /// a history that cannot be written is a warning, the verdict stands.
    /// Returns the history folder when the run was added to it.
    func recordHistory(_ report: DrillReport, reportsDirectory: String, file: DrillFile?) -> String? {
        let folder = options.historyDirectory ?? file?.historyDirectory ?? reportsDirectory + "/history"
        do {
            let json = try String(contentsOfFile: reportsDirectory + "/report.json", encoding: .utf8)
            try DrillHistory.append(
                reportJSON: json, drill: report.drill, startedAt: report.startedAt, to: folder, runID: UUID().uuidString.lowercased(),
                toolVersion: Self.toolVersion)
            return folder
        } catch {
            FileHandle.standardError.write(Data("restore-drill: warning: this run was not added to the history in \(folder): \(YAMLValue.describe(error))\n".utf8))
            return nil
        }
    }
}

/// What the drill learned as it went, for the report.
struct DrillState {
    var file: DrillFile?
    var plan: DrillPlan?
    var verification: ArtifactVerification?
    private(set) var server: (any ProvisionedServer)?
    /// The reports folder this drill locked (nil until the plan claimed it).
    var reportsClaimed: String?
    /// True when the reports folder was refused (in use, inside a backup, not writable).
    var reportsRefused = false
    /// Everything acquired, released in reverse at the end.
    let teardown = TeardownStack()
    /// Set by `--keep` at the end: the server's entry then leaves it running.
    let keep = KeepFlag()

    /// Records the drill's server and puts its teardown on the stack at once.
    mutating func acquire(_ server: any ProvisionedServer) {
        self.server = server
        let keep = self.keep
        teardown.push("\(server.provisionerKind) server") { keep.isSet ? [] : await server.tearDown() }
    }
    var serverVersion: String?
    var rtoSeconds: Double?
    var recovery: RecoveryOutcome?
    /// What the restore did (logical backups).
    var restored: RestoreOutcome?
    var services: [RunningService] = []
    var objects: DrillReport.Objects?
}

/// Whether `--keep` leaves the server running.
final class KeepFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Adds up bytes from concurrent progress callbacks.
final class ByteCounter: Sendable {
    private let total = Mutex<Int64>(0)
    func add(_ bytes: Int64) -> Int64 { total.withLock { $0 += bytes; return $0 } }
}
