import ArgumentParser
import Drill
import DrillSupport
import Foundation
import Logging

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
        version: "0.1.0",
        subcommands: [Run.self, Plan.self, Init.self, Record.self, Demo.self, ChecksCommand.self, ObjectsCommand.self, ReportCommand.self, Cleanup.self])
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
        let drillOptions = options
        let progress = output.progress()
        let outcome = await SignalScope.run { await DrillRunner(options: drillOptions, progress: progress).run(drillFile: drillFile) }
        Conclusion.print(outcome, quiet: output.quiet)
        throw ExitCode(outcome.exitCode.rawValue)
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a drill file and print what a run would do. Restores nothing.")

    @Argument(help: "The drill file (YAML).") var drillFile: String
    @Option(name: .long, help: "Parallel pg_restore jobs.") var jobs: Int?
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
            Swift.print(plan.summary)
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
        abstract: "Record a backup's size, SHA-256, format and server version right after it is taken.",
        discussion: "Writes ARTIFACT.restore-drill.json, which drills verify the artifact against.")

    @Argument(help: "The pg_dump artifact (file or directory).") var artifact: String
    @Option(name: .shortAndLong, help: "Write the metadata here instead of next to the artifact.") var output: String?

    func run() async throws {
        do {
            let (metadata, path) = try await BackupRecording.record(artifact: artifact, output: output)
            let kind = metadata.dumpFormat.map { "\($0.rawValue) dump" } ?? "base backup"
            Swift.print("Recorded \(path): \(kind), \(ByteCount(metadata.size)), sha256 \(metadata.sha256)")
        } catch {
            throw Conclusion.fail(error)
        }
    }
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
