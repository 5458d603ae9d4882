import DrillSupport
import Foundation
import PostgresClient
import Provisioning

/// A pgBackRest repository made with the real tool: a primary whose archive_command is
/// `pgbackrest archive-push`, a stanza, a full backup before the first batch of rows, then the
/// batches (with their marks) of `PhysicalFixture`, all archived.
public struct PgBackRestFixture: Sendable {
    public var physical: PhysicalFixture
    /// `repo1-path` (a local folder, or the path inside the bucket).
    public var repository: String
    public static let stanza = "drill"
    /// The fixture's folder (configuration, logs, a posix repository).
    var root: String

    /// A repository in a bucket of the test S3 server, reached through a TLS front.
    public struct Bucket: Sendable {
        public var name: String
        public var front: TLSFront
        public init(name: String, front: TLSFront) {
            self.name = name
            self.front = front
        }
    }

    public static func make(label: String, batches: Int = 4, bucket: Bucket? = nil) async throws -> PgBackRestFixture {
        guard let pgbackrest = findInPath("pgbackrest") else { throw TestSupportError("pgbackrest is not installed: scripts/bootstrap installs it") }
        let root = "/tmp/rdtest-pgbackrest-\(label)-\(getpid())-\(UUID().uuidString.prefix(6))"
        let repository = root + "/repo"
        for directory in [root, repository, root + "/log", root + "/lock"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o755)
        }
        let owner = OSUser.isRoot ? OSUser.lookup(name: "postgres") : nil
        if let owner { for directory in [repository, root + "/log", root + "/lock"] { chown(directory, owner.uid, owner.gid) } }
        let config = root + "/pgbackrest.conf"
        let repositoryLines = bucket.map {
            """
            repo1-type=s3
            repo1-path=/repo
            repo1-s3-bucket=\($0.name)
            repo1-s3-endpoint=localhost
            repo1-storage-port=\($0.front.port)
            repo1-storage-ca-file=\($0.front.certificate)
            repo1-s3-region=us-east-1
            repo1-s3-uri-style=path
            repo1-s3-key=fixture
            repo1-s3-key-secret=fixture-secret
            """
        } ?? "repo1-path=\(repository)"
        try """
            [global]
            \(repositoryLines)
            repo1-retention-full=9
            log-path=\(root)/log
            lock-path=\(root)/lock
            log-level-console=warn
            log-level-file=off
            start-fast=y

            """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o644)
        let base = [pgbackrest, "--config=\(config)", "--stanza=\(stanza)"]
        let physical = try await PhysicalFixture.make(
            label: "pgbr-\(label)", batches: batches,
            primarySettings: ["archive_command": "\(base.joined(separator: " ")) --pg1-path=\"$PWD\" archive-push %p", "wal_level": "replica"],
            withPrimary: { primary in
                guard let primary = primary as? PgCtlServer else { throw TestSupportError("the pgBackRest fixture needs a pg_ctl primary") }
                let connection = primary.connection
                let options = [
                    "--pg1-path=\(primary.dataDirectory)", "--pg1-socket-path=\(connection.host)", "--pg1-port=\(connection.port)",
                    "--pg1-user=\(connection.user)",
                ]
                for command in [["stanza-create"], ["--type=full", "backup"]] {
                    let result = try await ProcessRunner.run(
                        ToolInvocation(
                            executable: pgbackrest, arguments: Array(base.dropFirst()) + options + command,
                            environment: ["PGPASSWORD": connection.password ?? ""], workingDirectory: "/", user: owner,
                            displayName: "pgbackrest \(command.last!)"))
                    guard result.succeeded else { throw TestSupportError("pgbackrest \(command.last!): \(result.standardError)") }
                }
            })
        return PgBackRestFixture(physical: physical, repository: bucket == nil ? repository : "/repo", root: root)
    }

    /// Removes the repository and the primary's fixture.
    public func remove() {
        physical.remove()
        try? FileManager.default.removeItem(atPath: root)
    }
}
