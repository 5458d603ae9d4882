import DrillSupport
import Foundation
import PostgresClient
import Provisioning

/// A Barman cloud backup in a moto bucket, made with the real tools: a primary whose
/// archive_command is barman-cloud-wal-archive, a barman-cloud-backup before the first batch of
/// rows, then the batches (with their marks) of `PhysicalFixture`, all archived.
public struct BarmanCloudFixture: Sendable {
    public var physical: PhysicalFixture
    /// `s3://BUCKET/PREFIX`.
    public var url: String
    public static let server = "pgmain"

    public static func make(label: String, moto: MotoServer, bucket: String, batches: Int = 3) async throws -> BarmanCloudFixture {
        for tool in ["barman-cloud-backup", "barman-cloud-wal-archive"] where findInPath(tool) == nil {
            throw TestSupportError("\(tool) is not installed: scripts/bootstrap installs barman-cli-cloud")
        }
        try await moto.fixture(["create-bucket", bucket])
        let url = "s3://\(bucket)/pg"
        let credentials = MotoServer.environment.merging(["AWS_DEFAULT_REGION": "us-east-1"]) { $1 }
        let inline = credentials.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let owner = OSUser.isRoot ? OSUser.lookup(name: "postgres") : nil
        let physical = try await PhysicalFixture.make(
            label: "barman-\(label)", batches: batches,
            primarySettings: [
                "archive_command": "env \(inline) /usr/bin/barman-cloud-wal-archive --endpoint-url \(moto.endpoint) \(url) \(server) %p",
                "wal_level": "replica",
            ],
            // Each segment is a python start and a 16 MB upload to moto: slow on a loaded machine.
            archiveTimeout: .seconds(120),
            withPrimary: { primary in
                let connection = primary.connection
                var environment = credentials
                environment["PGPASSWORD"] = connection.password ?? ""
                let result = try await ProcessRunner.run(
                    ToolInvocation(
                        executable: "/usr/bin/barman-cloud-backup",
                        arguments: ["--endpoint-url", moto.endpoint, "-h", connection.host, "-p", String(connection.port), "-U", connection.user, url, server],
                        environment: environment, workingDirectory: "/", user: owner, displayName: "barman-cloud-backup"))
                guard result.succeeded else { throw TestSupportError("barman-cloud-backup: \(result.standardError)") }
            })
        return BarmanCloudFixture(physical: physical, url: url)
    }
}
