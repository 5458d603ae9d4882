import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// A pgBackRest repository on a file system (`repo1-type=posix`), read with pgBackRest itself
/// as the server's OS account: `info --output=json`, `verify`. Options go through the
/// environment (PGBACKREST_*), which pgBackRest takes like its configuration file, so a host's
/// /etc/pgbackrest.conf is never read unless the drill file names a config.
struct PgBackRestRepository: Sendable {
    /// `repo1-path`.
    var path: String
    var stanza: String
    /// A pgbackrest.conf the drill file names; nil: none at all.
    var config: String?
    /// The pgbackrest program.
    var executable: String
    /// `PGBACKREST_REPO1_*` options of a repository in S3 (secrets included); empty for a posix one.
    var s3Environment: [String: String] = [:]
    /// `s3://bucket/path` for a repository in S3.
    var s3Location: String?

    /// True for a repository in S3: its tools need the network, the sandbox's server scope has none.
    var isS3: Bool { s3Location != nil }
    /// The repository in messages: its folder, or its bucket and path.
    var locationDescription: String { s3Location ?? path }

    /// Options every command gets, as environment variables.
    func environment(lockPath: String? = nil) -> [String: String] {
        var environment = [
            "PGBACKREST_REPO1_PATH": path, "PGBACKREST_STANZA": stanza, "PGBACKREST_LOG_LEVEL_FILE": "off",
            "PGBACKREST_LOG_LEVEL_CONSOLE": "off", "PGBACKREST_LOG_LEVEL_STDERR": "error", "PGBACKREST_ARCHIVE_ASYNC": "n",
        ]
        if let lockPath { environment["PGBACKREST_LOCK_PATH"] = lockPath }
        environment.merge(s3Environment) { $1 }
        return environment
    }

    var configArgument: String { "--config=\(config ?? "/dev/null")" }

    /// Runs `pgbackrest COMMAND` as `user`.
    func run(_ arguments: [String], user: OSUser?, lockPath: String? = nil, console: String = "off") async throws -> ToolResult {
        var environment = environment(lockPath: lockPath)
        environment["PGBACKREST_LOG_LEVEL_CONSOLE"] = console
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: executable, arguments: [configArgument] + arguments, environment: environment, workingDirectory: "/", user: user,
                displayName: "pgbackrest \(arguments.last ?? "")", captureLimit: 8 << 20))
        return result
    }

    /// One backup set as `info` lists it.
    struct BackupSet: Sendable, Decodable {
        struct Range: Sendable, Decodable { var start: String; var stop: String }
        struct Times: Sendable, Decodable { var start: Double; var stop: Double }
        struct Info: Sendable, Decodable { var size: Int64 }
        struct Database: Sendable, Decodable { var id: Int }
        var label: String
        var type: String
        var archive: Range
        var lsn: Range
        var timestamp: Times
        var info: Info
        var database: Database
        var error: Bool?
    }

    struct Stanza: Sendable, Decodable {
        struct Status: Sendable, Decodable { var code: Int; var message: String }
        struct Archive: Sendable, Decodable {
            struct Database: Sendable, Decodable { var id: Int }
            var id: String
            var min: String?
            var max: String?
            var database: Database
        }
        struct Cluster: Sendable, Decodable { var id: Int; var version: String }
        var name: String
        var status: Status
        var backup: [BackupSet]
        var archive: [Archive]
        var db: [Cluster]
    }

    /// `pgbackrest info --output=json` for the stanza.
    func info(user: OSUser?) async throws -> Stanza {
        let result = try await run(["--output=json", "info"], user: user)
        guard result.succeeded else {
            throw RestoreError(
                .error, step: "pgbackrest info",
                "pgbackrest info for stanza \(stanza) in \(locationDescription) failed (\(result.terminationDescription)): \(SecretMasker.shared.mask(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        let stanzas: [Stanza]
        do {
            stanzas = try JSONDecoder().decode([Stanza].self, from: Data(result.standardOutput.utf8))
        } catch {
            throw RestoreError(.error, step: "pgbackrest info", "pgbackrest info printed JSON this drill cannot read: \(error)")
        }
        guard let found = stanzas.first(where: { $0.name == stanza }) else {
            throw RestoreError(.failure, step: "pgbackrest info", "the repository \(locationDescription) has no stanza \(stanza)")
        }
        return found
    }

    /// The WAL the repository's archive holds for `archiveID` (`15-1`), as an archive listing.
    func archive(_ archiveID: String) throws -> WALArchive {
        let directory = "\(path)/archive/\(stanza)/\(archiveID)"
        var segments: [WALSegmentName: String] = [:]
        let manager = FileManager.default
        guard let groups = try? manager.contentsOfDirectory(atPath: directory) else {
            throw RestoreError(.error, step: "wal archive", "cannot list the pgBackRest archive \(directory) (does this account read the repository?)")
        }
        for group in groups where group.count == 16 {
            for file in (try? manager.contentsOfDirectory(atPath: directory + "/" + group)) ?? [] {
                // SEGMENT-SHA1[.gz|.lz4|.zst|.bz2]
                if let name = WALSegmentName(String(file.prefix(24))), file.dropFirst(24).hasPrefix("-") { segments[name] = group + "/" + file }
            }
        }
        return WALArchive(directory: directory, segments: segments)
    }
}
