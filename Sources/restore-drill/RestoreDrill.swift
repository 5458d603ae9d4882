import ArgumentParser
import Drill
import DrillSupport
import Foundation
import Logging
import Reports
import Restore
import Synchronization

@main
enum Entry {
    /// Parses and runs the command; argument mistakes exit 2, the drill contract's code for
    /// "the drill file or the arguments are wrong" (swift-argument-parser would use 64).
    static func main() async {
        // Before any thread or connection exists: libpq in this process must not see PGSERVICE & co.
        LibpqEnvironment.scrubProcess()
        // A child that dies before reading its input must not kill the drill with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try RestoreDrill.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = RestoreDrill.exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((RestoreDrill.fullMessage(for: error) + "\n").utf8))
                Foundation.exit(DrillExitCode.usage.rawValue)
            }
            RestoreDrill.exit(withError: error)
        }
    }
}

struct RestoreDrill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore-drill",
        abstract: "Prove that a PostgreSQL backup can really be restored, and report it to CI.",
        discussion: """
            Exit codes: 0 every check passed, 1 a check failed (the backup is not good enough), \
            2 the drill file or arguments are wrong, 3 the harness could not run, 130 interrupted.
            """,
        version: DrillRunner.toolVersion,
        subcommands: [Run.self, Plan.self, Init.self, Record.self, Demo.self, HistoryCommand.self, ChecksCommand.self, ObjectsCommand.self, ReportCommand.self, EvidenceCommand.self, Cleanup.self])
}

/// Options every drill-running command shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only failures and the final line.") var quiet = false
    @Flag(name: .shortAndLong, help: "Print every command run and every progress detail.") var verbose = false

    func progress() -> ConsoleProgress {
        ConsoleProgress(verbosity: quiet ? .quiet : (verbose ? .verbose : .normal))
    }

    func bootstrapLogging() {
        let level: Logger.Level = verbose ? .debug : .warning
        LoggingSystem.bootstrap { label in
            var handler = MaskingLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a drill: restore the backup into a throwaway server, check it, report, tear down.")

    @Argument(help: "The drill file (YAML).") var drillFile: String
    @Option(name: .long, help: "Directory for junit.xml, report.json and summary.md (overrides reports.dir).") var reports: String?
    @Option(name: .long, help: "Parallel pg_restore jobs (overrides restore.jobs).") var jobs: Int?
    @Flag(name: .long, help: "Leave the restored server running and print how to connect and stop it.") var keep = false
    @Option(name: .long, help: "Also write the outcome as a Prometheus textfile here (node_exporter's textfile collector).") var metrics: String?
    @Option(name: .long, help: "Append this run's record to this history folder (overrides reports.history; default REPORTS/history).")
    var history: String?
    @Option(name: .long, help: "Also bundle this run's evidence (reports, drill file, digests) into this tar.gz; see `evidence`.") var evidence: String?
    @Option(name: .customLong("sign-key"), help: "--evidence: sign the bundle with this Ed25519 private key (env:NAME, file:PATH, command:CMD).")
    var signKey: String?
    @OptionGroup var target: TargetOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        _ = try target.kind()
    }

    func run() async throws {
        output.bootstrapLogging()
        var options = DrillOptions(
            reportsDirectory: reports, jobs: jobs, keep: keep, checkSearchPaths: ResourceLocator.checkSearchPaths,
            targetOverride: try target.kind())
        options.only = selection.only
        options.skip = selection.skip
        options.historyDirectory = history
        let drillOptions = options
        guard signKey == nil || evidence != nil else {
            throw Conclusion.fail(ConfigError(file: "--sign-key", message: "signs the evidence bundle: give --evidence FILE too"))
        }
        // The key is resolved before anything is restored: a drill is not run for evidence that cannot be signed.
        let key: String?
        do {
            key = try await EvidenceCommand.signingKey(signKey)
        } catch {
            throw Conclusion.fail(error)
        }
        let progress = output.progress()
        let outcome = await SignalScope.run { await DrillRunner(options: drillOptions, progress: progress).run(drillFile: drillFile) }
        Conclusion.print(outcome, quiet: output.quiet)
        if let evidence {
            // Like metrics, the bundle reports the verdict and never changes it.
            if let report = outcome.reportPaths.first(where: { $0.hasSuffix("/report.json") }) {
                do {
                    let made = try await EvidenceBundle.make(
                        runDirectory: (report as NSString).deletingLastPathComponent, output: evidence, signingKeyPEM: key, toolVersion: DrillRunner.toolVersion)
                    FileHandle.standardError.write(Data("restore-drill: evidence: \(evidence) (\(made.files.count) files\(made.signedBy.map { ", signed by \($0)" } ?? ""))\n".utf8))
                } catch {
                    FileHandle.standardError.write(Data("restore-drill: the evidence bundle \(evidence) was not written: \(SecretMasker.shared.mask(error.description))\n".utf8))
                }
            } else {
                FileHandle.standardError.write(Data("restore-drill: the evidence bundle \(evidence) was not written: this run wrote no report.json\n".utf8))
            }
        }
        if let metrics {
            // Metrics are a report of the drill, never its verdict: a file that cannot be written is said, not failed on.
            do {
                try PrometheusTextfile.write(for: outcome.report, to: metrics)
            } catch {
                FileHandle.standardError.write(Data("restore-drill: the metrics file \(metrics) was not written: \(error.localizedDescription)\n".utf8))
            }
        }
        throw ExitCode(outcome.exitCode.rawValue)
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a drill file and print what a run would do. Restores nothing.")

    @Argument(help: "The drill file (YAML).") var drillFile: String
    @Option(name: .long, help: "Parallel pg_restore jobs.") var jobs: Int?
    @Flag(name: .long, help: "Print the plan as JSON (for tooling) instead of text.") var json = false
    @OptionGroup var target: TargetOptions
    @OptionGroup var selection: SelectionOptions

    func validate() throws { _ = try target.kind() }

    func run() async throws {
        do {
            let file = try DrillFileParser.load(path: drillFile)
            var options = DrillOptions(jobs: jobs, checkSearchPaths: ResourceLocator.checkSearchPaths, targetOverride: try target.kind())
            options.only = selection.only
            options.skip = selection.skip
            let (plan, _) = try await DrillPlanner.plan(file, options: options)
            Swift.print(json ? SecretMasker.shared.mask(PlanSummary(plan).json) : plan.summary)
        } catch {
            throw Conclusion.fail(error)
        }
    }
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a commented starting drill file.")

    @Argument(help: "Where to write it.") var path = "drill.yaml"
    @Flag(name: .long, help: "Overwrite an existing file.") var force = false

    func run() async throws {
        if FileManager.default.fileExists(atPath: path) && !force {
            FileHandle.standardError.write(Data("restore-drill: \(path) exists; pass --force to overwrite it\n".utf8))
            throw ExitCode(DrillExitCode.usage.rawValue)
        }
        try DrillFileTemplate.text.write(toFile: path, atomically: true, encoding: .utf8)
        Swift.print("Wrote \(path). Edit backup.location, then: restore-drill plan \(path)")
    }
}

struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a backup's size, SHA-256, format, server version and inventory right after it is taken.",
        discussion: """
            Writes ARTIFACT.restore-drill.json, which drills verify the artifact against: its checksum, and for a
            pg_dump what it holds (objects by kind, the rows of every table), read from the artifact itself.

            With --source, also the source database's data fingerprints (each table's row count and content
            digest), taken in the same snapshot as the dump: give --snapshot ID (your pg_dump --snapshot=ID,
            its exporting transaction still open), or --dump FORMAT (record runs pg_dump into ARTIFACT itself),
            or --snapshot now when nothing has written to the source since the dump. Drills then compare the
            restored tables with them exactly. The source is only read, in a READ ONLY transaction.

            For a base backup folder, --restore-point NAME creates that restore point on --source (SHARE locks
            hold writes off for the instant it takes) and records the fingerprints of exactly that moment;
            drills recovering to {name: NAME} compare with them.
            """)

    @Argument(help: "The pg_dump artifact (file or directory), or s3://BUCKET/KEY.") var artifact: String
    @Option(name: .long, help: "The file ARTIFACT is stored as (e.g. its age-encrypted copy): record its size and SHA-256, write the sidecar beside it.")
    var stored: String?
    @Option(name: .long, help: "s3:// artifacts: the S3 endpoint (else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS's).") var endpoint: String?
    @Option(name: .long, help: "s3:// artifacts: the region (else AWS_REGION).") var region: String?
    @Option(name: .customLong("age-identity"), help: "s3:// artifacts: decrypt with this age identity (env:NAME, file:PATH) to read what it holds.")
    var ageIdentity: String?
    @Option(name: .shortAndLong, help: "Write the metadata here instead of next to the artifact.") var output: String?
    @Option(name: .long, help: "The source database (a DSN, or env:NAME / file:PATH holding one) to fingerprint.") var source: String?
    @Option(name: .long, help: "The snapshot the dump was taken in (pg_export_snapshot()), or 'now'.") var snapshot: String?
    @Option(name: .long, help: "Run pg_dump --format FORMAT of --source into ARTIFACT in the fingerprinted snapshot.") var dump: String?
    @Option(name: .customLong("restore-point"), help: "Base backups: create this restore point on --source and fingerprint it.") var restorePoint: String?
    @Option(name: .long, help: "ARTIFACT is a configuration bundle of this format (dotenv, json, yaml, kubernetes): record its values' fingerprints.")
    var config: String?
    @Option(name: .customLong("fingerprint-key"), help: "--config: the key (env:NAME, file:PATH, command:CMD) the values' HMACs are made with; drills need the same.")
    var fingerprintKey: String?

    func validate() throws {
        let moments = [snapshot, dump, restorePoint].compactMap { $0 }.count
        if source != nil, moments != 1 {
            throw ValidationError("--source needs exactly one of --snapshot ID, --snapshot now, --dump FORMAT or --restore-point NAME: fingerprints of another moment than the backup's would not match it")
        }
        if source == nil, moments > 0 { throw ValidationError("--snapshot, --dump and --restore-point need --source") }
        let remote = artifact.hasPrefix("s3://")
        if remote, source != nil || stored != nil {
            throw ValidationError("an s3:// artifact is recorded as it is stored: --source and --stored are for local files")
        }
        if !remote, endpoint != nil || region != nil || ageIdentity != nil {
            throw ValidationError("--endpoint, --region and --age-identity are for s3:// artifacts")
        }
        if config != nil, source != nil || remote { throw ValidationError("--config records a local plaintext bundle (with --stored for its encrypted copy)") }
        if fingerprintKey != nil, config == nil { throw ValidationError("--fingerprint-key is for --config") }
        if stored != nil, source != nil { throw ValidationError("--stored records a plaintext dump for its stored copy; record with --source first, without --stored") }
    }

    func run() async throws {
        do {
            let moment: BackupRecording.Moment? =
                if let dump { .dump(format: dump) } else if let restorePoint { .restorePoint(restorePoint) } else if let snapshot {
                    snapshot == "now" ? .now : .snapshot(snapshot)
                } else { nil }
            var recordSource: BackupRecording.Source?
            if let source, let moment { recordSource = BackupRecording.Source(dsn: source, moment: moment) }
            if let config {
                let (recorded, path) = try await ConfigRecording.record(
                    bundle: artifact, format: config, stored: stored, fingerprintKey: fingerprintKey, output: output)
                Swift.print(
                    "Recorded \(path): \(config) bundle, \(ByteCount(recorded.size)), sha256 \(recorded.sha256), \(recorded.fingerprints.count) value fingerprint(s)\(fingerprintKey == nil ? " (none: give --fingerprint-key to detect changed values)" : "")")
                return
            }
            let progress = ProgressLine()
            let metadata: BackupMetadata
            let path: String
            let warnings: [String]
            if artifact.hasPrefix("s3://") {
                let remote = BackupRecording.RemoteArtifact(url: artifact, endpoint: endpoint, region: region, ageIdentity: ageIdentity)
                let (recorded, written, notes) = try await BackupRecording.recordRemote(remote, output: output) { progress.show($0) }
                progress.clear()
                guard let written else {
                    // No --output: the metadata on standard output, to upload beside the object.
                    Swift.print(String(decoding: try recorded.encoded(), as: UTF8.self))
                    for note in notes { FileHandle.standardError.write(Data("restore-drill: warning: \(note)\n".utf8)) }
                    return
                }
                (metadata, path, warnings) = (recorded, written, notes)
            } else if let stored {
                (metadata, path, warnings) = try await BackupRecording.recordStored(artifact: artifact, stored: stored, output: output) { progress.show($0) }
            } else {
                (metadata, path, warnings) = try await BackupRecording.record(
                    artifact: artifact, output: output, source: recordSource, progress: { progress.show($0) })
            }
            progress.clear()
            let kind = metadata.dumpFormat.map { "\($0.rawValue) dump" } ?? "base backup"
            Swift.print("Recorded \(path): \(kind), \(ByteCount(metadata.size)), sha256 \(metadata.sha256)")
            if let restorePoint, let point = metadata.restorePoints?[restorePoint] {
                Swift.print("Restore point '\(restorePoint)' created; fingerprints of \(point.tables.count) table(s) of database \(point.database ?? "?") recorded")
            } else if let inventory = metadata.inventory {
                Swift.print("It holds \(inventory.summary)\(inventory.fingerprints.map { "; fingerprints of \($0.tables.count) source table(s) at snapshot \($0.snapshot ?? "?")" } ?? "")")
            }
            for warning in warnings { FileHandle.standardError.write(Data("restore-drill: warning: \(warning)\n".utf8)) }
        } catch {
            throw Conclusion.fail(error)
        }
    }
}

/// One line of progress on standard error, rewritten in place on a terminal.
final class ProgressLine: Sendable {
    private let terminal = isatty(STDERR_FILENO) == 1
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    func show(_ text: String) {
        guard terminal else { return }
        let now = ContinuousClock.now
        let due = last.withLock { previous in
            guard previous.map({ now - $0 > .milliseconds(200) }) ?? true else { return false }
            previous = now
            return true
        }
        if due { FileHandle.standardError.write(Data("\r\u{1B}[K\(text.prefix(100))".utf8)) }
    }

    func clear() { if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the sample app, back it up with pg_dump, and run a full drill on that backup.")

    @Option(name: .long, help: "Directory for the reports.") var reports = "reports/demo"
    @Flag(name: .long, help: "Leave the restored server running.") var keep = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        output.bootstrapLogging()
        let progress = output.progress()
        let options = DrillOptions(keep: keep, checkSearchPaths: ResourceLocator.checkSearchPaths)
        let result: Result<DrillOutcome, any Error> = await SignalScope.run {
            do {
                return .success(try await DemoDrill.run(reportsDirectory: reports, options: options, progress: progress))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let outcome):
            Conclusion.print(outcome, quiet: output.quiet)
            throw ExitCode(outcome.exitCode.rawValue)
        case .failure(let error):
            throw Conclusion.fail(error)
        }
    }
}
