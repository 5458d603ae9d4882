import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Restore

/// A backup of the fixture application, made at run time: a throwaway source server is
/// loaded from `fixtures/app`, dumped with `pg_dump`, and recorded. Used by `demo` and the tests.
public struct SampleBackup: Sendable {
    /// The artifact (file, or directory for the directory format).
    public var artifactPath: String
    /// Its `restore-drill.json` metadata sidecar.
    public var metadataPath: String
    /// The admin password seeded into `app.users` (registered for masking).
    public var adminPassword: String
    /// PostgreSQL version the dump came from.
    public var serverVersion: String
    /// With `otherForms`: the folder holding the same database in the other forms (`SampleForms`).
    public var otherForms: String?
}

/// Builds the fixture application's database and backs it up.
public enum SampleDatabase {
    /// Admin login seeded by the fixtures.
    public static let adminEmail = "admin@example.com"
    /// Rows the fixture catalog CSV holds.
    public static let catalogRows = 5000
    /// Rows the seed writes into the audit log.
    public static let auditRows = 50000

    /// Makes a backup of the sample app in `directory` as `app.<ext>`.
    public static func makeBackup(
        fixtures: String, into directory: String, format: DumpFormat = .custom, compression: Compression = .none,
        adminPassword: String? = nil, serverUser: String = "postgres", dumpArguments: [String] = [], fingerprints: Bool = false,
        scheduler: Bool = false, otherForms: Bool = false, progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> SampleBackup {
        guard let major = await ServerBinaries.installedMajors().first else {
            throw ProvisionError(.binariesNotFound, "no PostgreSQL server binaries are installed; scripts/bootstrap installs them")
        }
        let password = adminPassword ?? "demo-" + UUID().uuidString.prefix(13).lowercased()
        SecretMasker.shared.register(password)
        progress?("starting a source PostgreSQL \(major) for the sample app")
        var request = ProvisionRequest(majorVersion: major, serverUser: serverUser)
        if scheduler {
            // pg_cron keeps its tables in the database it is told; its jobs never run here either.
            request.preload = ["pg_cron"]
            request.restoreDatabase = "app"
        }
        let source = try await PgCtlProvisioner().provision(request)
        do {
            var backup = try await load(
                source: source, fixtures: fixtures, directory: directory, format: format, compression: compression,
                password: password, dumpArguments: dumpArguments, fingerprints: fingerprints, scheduler: scheduler, progress: progress)
            if otherForms { backup.otherForms = try await SampleForms.write(from: source, into: directory + "/forms") }
            _ = await source.tearDown()
            return backup
        } catch {
            _ = await source.tearDown()
            throw error
        }
    }

    private static func load(
        source: any ProvisionedServer, fixtures: String, directory: String, format: DumpFormat, compression: Compression,
        password: String, dumpArguments: [String], fingerprints: Bool, scheduler: Bool, progress: (@Sendable (String) -> Void)?
    ) async throws -> SampleBackup {
        let admin = try await PostgresConnection.connect(source.connection)
        _ = try await admin.execute("CREATE DATABASE app")
        let version = try await admin.serverVersion()
        admin.close()
        let environment = source.connection.with(database: "app").libpqEnvironment
        progress?("loading schema, \(auditRows) audit entries and \(catalogRows) catalog items")
        try await psql(source, environment, ["--file=\(fixtures)/schema.sql"])
        try await psql(source, environment, ["--set=admin_password=\(password)", "--file=\(fixtures)/seed.sql"])
        // A Supabase project's roles and schemas (auth, storage) live next to the app, as they would.
        let supabase = (fixtures as NSString).deletingLastPathComponent + "/supabase"
        if FileManager.default.fileExists(atPath: supabase + "/schema.sql") {
            try await psql(source, environment, ["--file=\(supabase)/roles.sql"])
            try await psql(source, environment, ["--file=\(supabase)/schema.sql"])
            try await psql(source, environment, ["--set=admin_password=\(password)", "--file=\(supabase)/seed.sql"])
            if scheduler { try await psql(source, environment, ["--file=\(supabase)/cron.sql"]) }
        }
        let csv = fixtures + "/catalog.csv"
        try await psql(
            source, environment,
            [
                "--command=\\copy app.catalog_items (sku, name, category, price_cents, stock) FROM '\(csv.replacingOccurrences(of: "'", with: "''"))' WITH (FORMAT csv, HEADER true)",
                "--command=INSERT INTO app.catalog_imports (source_file, row_count) SELECT 'catalog.csv', count(*) FROM app.catalog_items",
            ])
        let extensions: [DumpFormat: String] = [.custom: "dump", .directory: "dir", .tar: "tar", .plain: "sql"]
        var artifact = directory + "/app." + extensions[format]!
        progress?("pg_dump --format=\(format.rawValue)")
        let dump = try await ProcessRunner.run(
            ToolInvocation(
                executable: source.binaries.path("pg_dump"), arguments: ["--format=\(format.rawValue)", "--file=\(artifact)"] + dumpArguments + ["app"],
                environment: environment, displayName: "pg_dump"))
        guard dump.succeeded else { throw RestoreError(.error, step: "pg_dump", "pg_dump \(dump.terminationDescription): \(dump.standardError)") }
        if let tool = compression.tool {
            let suffix = [Compression.gzip: "gz", .lz4: "lz4", .zstd: "zst"][compression]!
            let compressed = try await ProcessRunner.run(
                ToolInvocation(executable: tool, arguments: ["-q", "-c", artifact], outputFile: artifact + "." + suffix, displayName: tool))
            guard compressed.succeeded else { throw RestoreError(.error, step: tool, "\(tool) \(compressed.terminationDescription): \(compressed.standardError)") }
            try FileManager.default.removeItem(atPath: artifact)
            artifact += "." + suffix
        }
        let metadataPath: String
        if fingerprints {
            // Nothing writes to the source after the dump: its fingerprints now are the dump's.
            let recorded = try await BackupRecording.record(
                artifact: artifact, output: nil, source: .init(parameters: source.connection.with(database: "app"), moment: .now))
            metadataPath = recorded.1
        } else {
            metadataPath = try await BackupRecorder.record(artifactPath: artifact, pgRestore: source.binaries.path("pg_restore")).1
        }
        return SampleBackup(artifactPath: artifact, metadataPath: metadataPath, adminPassword: password, serverVersion: version)
    }

    /// True when pg_cron is installed for `major` here (the demo's sample then schedules a job).
    public static func schedulerInstalled(major: Int) async -> Bool {
        (try? await ServerBinaries.locate(major: major, explicitDirectory: nil))?.hasLibrary("pg_cron") ?? false
    }

    static func psql(_ server: any ProvisionedServer, _ environment: [String: String], _ arguments: [String]) async throws {
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: server.binaries.path("psql"), arguments: ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"] + arguments,
                environment: environment, displayName: "psql"))
        guard result.succeeded else {
            throw RestoreError(.error, step: "fixtures", "loading the sample app failed: psql \(result.terminationDescription): \(result.standardError)")
        }
    }
}
