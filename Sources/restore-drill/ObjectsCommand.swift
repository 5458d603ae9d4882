import ArgumentParser
import Drill
import DrillSupport
import Foundation
import Objects
import Reports
import Synchronization

/// Where the store is and how to sign in: shared by `objects snapshot` and `objects verify`.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "s3://BUCKET[/PREFIX] or file:///FOLDER.") var store: String
    @Option(name: .long, help: "S3 endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, then AWS's).") var endpoint: String?
    @Option(name: .long, help: "S3 region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1).") var region: String?
    @Option(name: .long, help: "path or virtual-host bucket addressing.") var addressing: String = "path"
    @Option(name: .customLong("ca-bundle"), help: "PEM file of CAs to trust for the endpoint.") var caBundle: String?
    @Option(name: .customLong("access-key"), help: "Access key id by reference (env:NAME, file:PATH, command:CMD); default AWS_ACCESS_KEY_ID.")
    var accessKey: String?
    @Option(name: .customLong("secret-key"), help: "Secret key by reference; default AWS_SECRET_ACCESS_KEY.") var secretKey: String?
    @Option(name: .customLong("session-token"), help: "Session token by reference; default AWS_SESSION_TOKEN.") var sessionToken: String?
    @Option(name: .long, help: "The point in time (ISO 8601 with zone); default now.") var at: String?
    @Option(name: .long, help: "Objects read at once (default: 4 per core, at least 8).") var parallel: Int?
    @Option(name: .long, help: "Only shard I of N (I/N), keys split by a stable hash.") var shard: String?

    func spec() throws -> ObjectStoreSpec {
        guard let addressing = S3Location.Addressing(rawValue: addressing) else {
            throw ConfigError(file: "--addressing", message: "expected path or virtual-host, found '\(addressing)'")
        }
        let spec = ObjectStoreSpec(
            url: store, endpoint: endpoint, region: region, addressing: addressing, caBundle: caBundle, accessKey: accessKey,
            secretKey: secretKey, sessionToken: sessionToken)
        if let problem = spec.problem { throw ConfigError(file: "--store", message: problem) }
        return spec
    }

    func point() throws -> Date? {
        guard let at else { return nil }
        guard let date = TimestampText.parse(at) else {
            throw ConfigError(file: "--at", message: "expected a time with its zone, such as 2026-11-24T14:05:00Z, found '\(at)'")
        }
        return date
    }

    func parsedShard() throws -> Shard? {
        guard let shard else { return nil }
        guard let parsed = Shard(shard) else { throw ConfigError(file: "--shard", message: "expected I/N with 1 ≤ I ≤ N, found '\(shard)'") }
        return parsed
    }

    var width: Int { parallel ?? max(8, 4 * ProcessInfo.processInfo.activeProcessorCount) }
}

struct ObjectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objects", abstract: "Record and verify object-store contents (S3 or a folder) as of a point in time.",
        subcommands: [Snapshot.self, Verify.self, Materialize.self])

    /// Progress on standard error: on a terminal one live line, redrawn as it changes;
    /// elsewhere (CI logs) a plain line at most every 10 seconds, so a long run is never silent
    /// and never floods the log.
    static func progressPrinter() -> (@Sendable (String) -> Void)? {
        if isatty(2) == 1 {
            return { line in FileHandle.standardError.write(Data("\r\u{1B}[2K[restore-drill] \(line)".utf8)) }
        }
        let last = Mutex<ContinuousClock.Instant?>(nil)
        return { line in
            let due = last.withLock { printed in
                let now = ContinuousClock.now
                if let before = printed, now - before < .seconds(10) { return false }
                printed = now
                return true
            }
            if due { FileHandle.standardError.write(Data("[restore-drill] \(line)\n".utf8)) }
        }
    }

    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a manifest (JSON lines sorted by key: key, version_id, size, sha256, etag, last_modified) of the store as of a point.")

        @OptionGroup var options: StoreOptions
        @Option(name: .long, help: "Where the manifest goes.") var out: String

        func run() async throws {
            do {
                let store = try await options.spec().open()
                let started = ContinuousClock.now
                let taken = try await ObjectSnapshot.take(
                    store: store, at: try options.point(), shard: try options.parsedShard(), parallel: options.width, writingTo: out,
                    onProgress: ObjectsCommand.progressPrinter())
                let note = taken.historyKnown || options.at == nil ? "" : " (the store keeps no versions: these are its current objects)"
                FileHandle.standardError.write(
                    Data("\nrestore-drill: \(taken.count) object(s), \(ByteCount(taken.bytes)) recorded in \(out) in \(DrillDuration.format(ContinuousClock.now - started))\(note)\n".utf8))
            } catch {
                throw Conclusion.fail(error)
            }
        }
    }

    struct Materialize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the store's objects as of a point into an empty scratch folder (for an application under test). Never writes to the store.")

        @OptionGroup var options: StoreOptions
        @Option(name: .long, help: "An empty (or new) folder to write into.") var into: String

        func run() async throws {
            do {
                let store = try await options.spec().open()
                let listing = try await ObjectsAsOf.list(store, at: try options.point(), shard: try options.parsedShard())
                let outcome = try await ObjectMaterializer.materialize(listing.objects, from: store, into: into, parallel: options.width)
                var lines = outcome.problems.prefix(10).map { "  not written: \($0.key): \($0.reason)" }
                lines.append("restore-drill: \(outcome.written) object(s), \(ByteCount(outcome.bytes)) written into \(into)")
                FileHandle.standardError.write(Data(SecretMasker.shared.mask(lines.joined(separator: "\n") + "\n").utf8))
                if !outcome.problems.isEmpty { throw ExitCode(DrillExitCode.failed.rawValue) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Conclusion.fail(error)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the store as of a point with a manifest: missing, changed, extra and unreadable objects. Exit 0, 1 (mismatch) or 3 (store unreachable).")

        @OptionGroup var options: StoreOptions
        @Option(name: .long, help: "The manifest `objects snapshot` wrote.") var manifest: String
        @Option(name: .long, help: "Write junit.xml, report.json, summary.md and objects.jsonl here.") var reports: String?

        func run() async throws {
            let startedAt = Date()
            let verification: ObjectVerification
            let shard: Shard?
            let started = ContinuousClock.now
            do {
                shard = try options.parsedShard()
                let store = try await options.spec().open()
                verification = try await ObjectVerification.verify(
                    store: store, manifestPath: manifest, at: try options.point(), shard: shard, parallel: options.width,
                    onProgress: ObjectsCommand.progressPrinter())
            } catch {
                throw Conclusion.fail(error)
            }
            let suite = ReportSuite(
                name: "objects", kind: .phase, seconds: (ContinuousClock.now - started).seconds,
                cases: ObjectsReporting.cases(verification, seconds: (ContinuousClock.now - started).seconds))
            var exit = DrillVerdict.exitCode(for: suite.cases)
            var report = DrillReport(
                drill: "objects verify", status: DrillVerdict.status(for: exit), exitCode: exit.rawValue,
                startedAt: startedAt, finishedAt: Date(), backup: .init(location: manifest, format: "objects manifest"),
                postgres: .init(provisioner: "none"), measurements: .init(), targets: .init(),
                properties: ["objects.store": verification.store, "objects.shard": shard?.description ?? "1/1"], suites: [suite])
            report.objects = ObjectsReporting.summary(verification, shard: shard)
            var lines = suite.cases.filter { $0.status != .passed }.map { "  \($0.status == .failed ? "FAILED" : "ERROR ") \($0.name): \($0.message ?? "")" }
            if let reports {
                do {
                    let paths = try ReportWriter.write(report, to: reports) + [try ObjectsReporting.writeFindings(report.objects!.findings, to: reports)]
                    lines.append("reports: \(paths.joined(separator: ", "))")
                } catch {
                    // A verdict that cannot be delivered is the harness's failure, whatever it was.
                    lines.append("restore-drill: cannot write reports to \(reports): \(error)")
                    exit = .harness
                }
            }
            lines.append("restore-drill: \(verification.matched) of \(verification.objectsInManifest) object(s) match the manifest (exit \(exit.rawValue))")
            FileHandle.standardError.write(Data(SecretMasker.shared.mask("\n" + lines.joined(separator: "\n") + "\n").utf8))
            if exit != .passed { throw ExitCode(exit.rawValue) }
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Work with written reports.", subcommands: [Merge.self])

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join the reports of shard runs (objects verify --shard i/n --reports DIR) into one junit.xml, report.json, summary.md and objects.jsonl.")

        @Option(name: .long, help: "Where the merged reports go.") var out: String
        @Argument(help: "The shard runs' report folders.") var directories: [String]

        func run() async throws {
            do {
                let report = try ReportMerger.merge(directories: directories)
                var paths = try ReportWriter.write(report, to: out)
                if let objects = report.objects { paths.append(try ObjectsReporting.writeFindings(objects.findings, to: out)) }
                FileHandle.standardError.write(Data("restore-drill: merged \(directories.count) report(s): \(report.status.rawValue) (exit \(report.exitCode))\nreports: \(paths.joined(separator: ", "))\n".utf8))
                if report.exitCode != 0 { throw ExitCode(report.exitCode) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Conclusion.fail(error)
            }
        }
    }
}
