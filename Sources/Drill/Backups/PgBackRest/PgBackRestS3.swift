import DrillSupport
import Foundation
import Objects
import Recovery
import Restore

/// A pgBackRest repository in S3 (`backup.location: s3://BUCKET/REPO-PATH`): the drill file's
/// S3 settings become pgBackRest's own repository options, passed through the environment
/// (secrets resolved from their references, never on a command line). pgBackRest reaches S3
/// over TLS only, so the endpoint must be `https://`.
enum PgBackRestS3 {
    /// `PGBACKREST_REPO1_*` options for the bucket and path of `location`.
    static func environment(location: String, settings: S3Settings, file: String) async throws -> [String: String] {
        let pattern = LocationPattern.parse(location)
        guard let bucketURL = pattern.bucketURL, pattern.glob == nil else {
            throw ConfigError(file: file, message: "a pgBackRest repository in S3 is s3://BUCKET/REPO-PATH (its repo1-path), not a glob")
        }
        let spec = settings.spec
        if spec.sseCustomerKey != nil {
            throw ConfigError(file: file, message: "sse_customer_key is not passed to pgBackRest: give the repository's own options in backup.config (repo1-s3-sse-customer-key)")
        }
        let (tool, endpointURL) = try await settings.toolEnvironment()
        let region = tool["AWS_DEFAULT_REGION"] ?? "us-east-1"
        var host = "s3.\(region).amazonaws.com"
        var port = 443
        if let endpointURL {
            guard let url = URLComponents(string: endpointURL), let endpointHost = url.host, !endpointHost.isEmpty else {
                throw ConfigError(file: file, message: "backup.endpoint '\(endpointURL)' is not a URL")
            }
            guard url.scheme == "https" else {
                throw ConfigError(
                    file: file,
                    message: "pgBackRest reaches S3 over TLS only, and backup.endpoint is \(endpointURL): give its https:// address (for a store that speaks plain HTTP, put a TLS front such as stunnel4 before it and name its certificate in backup.ca_bundle)")
            }
            host = endpointHost
            port = url.port ?? 443
        }
        let path = "/" + pattern.prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var environment = [
            "PGBACKREST_REPO1_TYPE": "s3", "PGBACKREST_REPO1_PATH": path, "PGBACKREST_REPO1_S3_BUCKET": String(bucketURL.dropFirst(5)),
            "PGBACKREST_REPO1_S3_ENDPOINT": host, "PGBACKREST_REPO1_STORAGE_PORT": String(port), "PGBACKREST_REPO1_S3_REGION": region,
            "PGBACKREST_REPO1_S3_URI_STYLE": spec.addressing == .path ? "path" : "host",
        ]
        if let bundle = tool["AWS_CA_BUNDLE"] { environment["PGBACKREST_REPO1_STORAGE_CA_FILE"] = bundle }
        environment["PGBACKREST_REPO1_S3_KEY"] = tool["AWS_ACCESS_KEY_ID"]
        environment["PGBACKREST_REPO1_S3_KEY_SECRET"] = tool["AWS_SECRET_ACCESS_KEY"]
        environment["PGBACKREST_REPO1_S3_TOKEN"] = tool["AWS_SESSION_TOKEN"]
        guard environment["PGBACKREST_REPO1_S3_KEY"] != nil, environment["PGBACKREST_REPO1_S3_KEY_SECRET"] != nil else {
            throw ConfigError(file: file, message: "pgBackRest needs credentials for \(location): set backup.access_key and backup.secret_key (env:NAME...) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        return environment
    }

    /// The archive's WAL and timeline history files, listed with `pgbackrest repo-ls` (the
    /// repository's own reading of its storage, so any repository type lists the same way).
    static func archive(_ repository: PgBackRestRepository, archiveID: String, user: OSUser?) async throws -> (WALArchive, histories: [String]) {
        let relative = "archive/\(repository.stanza)/\(archiveID)"
        let result = try await repository.run(["--output=json", "--recurse", "repo-ls", relative], user: user)
        guard result.succeeded else {
            throw RestoreError(
                .error, step: "wal archive",
                "pgbackrest repo-ls \(relative) failed for \(repository.locationDescription) (\(result.terminationDescription)): \(SecretMasker.shared.mask(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        guard let entries = (try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))) as? [String: Any] else {
            throw RestoreError(.error, step: "wal archive", "pgbackrest repo-ls printed JSON this drill cannot read: \(result.standardOutput.prefix(200))")
        }
        var segments: [WALSegmentName: String] = [:]
        var histories: [String] = []
        for (path, value) in entries {
            guard (value as? [String: Any])?["type"] as? String == "file" else { continue }
            let name = (path as NSString).lastPathComponent
            // GROUP/SEGMENT-SHA1[.gz|.lz4|.zst|.bz2], and TIMELINE.history at the top.
            if let segment = WALSegmentName(String(name.prefix(24))), name.dropFirst(24).hasPrefix("-") {
                segments[segment] = path
            } else if name.hasSuffix(".history"), name.count == 16 {
                histories.append(name)
            }
        }
        return (WALArchive(directory: "\(repository.locationDescription)/\(relative)", segments: segments), histories.sorted())
    }
}
