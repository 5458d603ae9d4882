import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// A Barman cloud catalog (`barman-cloud-backup` into `s3://BUCKET/PREFIX`, server `NAME`),
/// read with Barman's own tools as the server's OS account and with our S3 client for the WAL
/// listing. Credentials reach the tools as the AWS variables, never on a command line.
struct BarmanCloudCatalog: Sendable {
    /// `s3://BUCKET/PREFIX`, as given to barman-cloud-backup.
    var url: String
    /// Barman's server name.
    var server: String
    var endpoint: String?
    var environment: [String: String]

    /// Arguments every barman-cloud tool takes before its own.
    var commonArguments: [String] { (endpoint.map { ["--endpoint-url", $0] } ?? []) + [url, server] }

    /// One backup as `barman-cloud-backup-list --format json` lists it.
    struct Backup: Sendable, Decodable {
        var backup_id: String
        var status: String
        var begin_xlog: String?
        var end_xlog: String?
        var begin_wal: String?
        var begin_time: String?
        var end_time: String?
        var timeline: Int?
        var version: Int?
        var size: Int64?
    }

    struct Listing: Decodable { var backups_list: [Backup] }

    func run(_ tool: String, _ arguments: [String], user: OSUser?, wrap: (ToolInvocation) -> ToolInvocation = { $0 }) async throws -> ToolResult {
        guard let executable = ExecutableLookup.find(tool) else {
            throw ProvisionError(.binariesNotFound, "format: barman_cloud needs \(tool) (apt-get install barman-cli-cloud)")
        }
        return try await ProcessRunner.run(
            wrap(ToolInvocation(executable: executable, arguments: arguments, environment: environment, workingDirectory: "/", user: user, displayName: tool)))
    }

    func backups(user: OSUser?) async throws -> [Backup] {
        let result = try await run("barman-cloud-backup-list", ["--format", "json"] + commonArguments, user: user)
        guard result.succeeded else {
            throw RestoreError(
                .error, step: "barman-cloud-backup-list",
                "barman-cloud-backup-list for server \(server) in \(url) failed (\(result.terminationDescription)): \(SecretMasker.shared.mask(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)).suffix(600))")
        }
        do {
            return try JSONDecoder().decode(Listing.self, from: Data(result.standardOutput.utf8)).backups_list
        } catch {
            throw RestoreError(.error, step: "barman-cloud-backup-list", "barman-cloud-backup-list printed JSON this drill cannot read: \(error)")
        }
    }

    /// Barman's times (`Tue Dec  1 19:24:55 2026`, ctime, no zone): read as UTC.
    static func time(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        return formatter.date(from: text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "))
    }
}
