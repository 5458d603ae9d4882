import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Reports

/// Planning a drill of an external server (a managed instance the provider restored): the DSN
/// is resolved, its hosts checked against `allow_hosts`, the server reached for its version.
enum ExternalPlanning {
    static func plan(_ file: DrillFile, source: ExternalSource) async throws -> DrillPlanner.PlannedBackup {
        guard let reference = file.postgres.dsn.flatMap(SecretReference.parse) else {
            throw ConfigError(file: file.path, message: "postgres.dsn must be a reference (env:, file:, command:)")
        }
        let dsn = try await reference.resolve()
        SecretMasker.shared.register(dsn)
        var connection: ConnectionParameters
        do {
            connection = try ConnectionParameters.parse(dsn: dsn)
        } catch {
            throw ConfigError(file: file.path, message: "postgres.dsn (\(reference)): \(error.message)")
        }
        let allowed = Set(file.postgres.allowHosts.map { $0.lowercased() })
        for host in connection.host.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !allowed.contains(host) {
            throw ConfigError(
                file: file.path,
                message: "the DSN's host '\(host)' is not in postgres.allow_hosts (\(file.postgres.allowHosts.joined(separator: ", "))): a drill never points its checks, some of which write (import), at a host it was not told is a drill target")
        }
        let session: PostgresConnection
        do {
            session = try await PostgresConnection.connect(connection)
        } catch {
            throw ProvisionError(.startFailed, "cannot reach the external server \(connection): \(error.message)")
        }
        defer { session.close() }
        let version = try await session.serverVersion()
        let number = Int(try await session.query("SHOW server_version_num").value() ?? "") ?? 0
        if number >= 140000 {
            // If the drill dies mid-query, the provider's server would run the query on until it
            // next writes to the vanished client; this makes it look every second (PostgreSQL 14+).
            let options = [connection.options["options"], "-c client_connection_check_interval=1000"].compactMap { $0 }
            connection.options["options"] = options.joined(separator: " ")
        }
        return DrillPlanner.PlannedBackup(
            source: source, artifactPath: "", metadata: nil, metadataPath: nil,
            plan: .external(ExternalServerPlan(connection: connection, serverVersion: version)), expectedSize: nil, expectedSHA256: nil,
            createdAt: nil, sourceVersion: version, majorVersion: number / 10000, database: connection.database)
    }

    /// Client programs for checks (psql, pg_amcheck): the server's major when installed, else the
    /// newest installed (client tools speak to older servers).
    static func clientBinaries(major: Int, explicitDirectory: String?) async throws -> ServerBinaries {
        if let exact = try? await ServerBinaries.locate(major: major, explicitDirectory: explicitDirectory) { return exact }
        if let newest = await ServerBinaries.installed().filter({ $0.majorVersion >= major }).min(by: { $0.majorVersion < $1.majorVersion }) {
            return newest
        }
        return try await ServerBinaries.locate(major: major, explicitDirectory: explicitDirectory)
    }
}

/// An external server as the drill sees it: a connection, nothing to start, stop or remove
/// (the scratch folder for materialized objects is the drill's own and is removed).
final class ExternalServer: ProvisionedServer {
    let connection: ConnectionParameters
    let binaries: ServerBinaries
    let scratchDirectory: String
    var provisionerKind: String { "external" }

    init(connection: ConnectionParameters, binaries: ServerBinaries) throws {
        self.connection = connection
        self.binaries = binaries
        self.scratchDirectory = try ScratchDirectory.create(root: nil, owner: nil)
    }

    func recentLog(lines: Int) -> String { "" }
    func serverLog() -> String { "" }
    var isRunning: Bool { true }

    func tearDown() async -> [String] {
        ScratchDirectory.remove(scratchDirectory).map { [$0] } ?? []
    }

    func launch(settings: [String: String], timeout: Duration) async throws -> ToolResult {
        throw ProvisionError(.startFailed, "an external server is started and stopped by its provider, never by the drill")
    }

    func keepInstructions(database: String) async -> String {
        "restore-drill: the external server \(connection.with(database: database)) is the provider's; the drill left it as it was"
    }
}

extension DrillRunner {
    /// The connect phase of an external drill: the server is reached with the DSN; nothing is restored.
    func connectExternal(_ plan: DrillPlan, _ external: ExternalServerPlan, recorder: PhaseRecorder, state: inout DrillState) async throws
        -> any ProvisionedServer
    {
        try await recorder.phase("connect") { suite in
            let server = try ExternalServer(connection: external.connection, binaries: plan.serverBinaries)
            state.acquire(server)
            state.serverVersion = external.serverVersion
            suite.cases.append(
                ReportCase(
                    name: "external server reached", status: .passed,
                    output: "PostgreSQL \(external.serverVersion) at \(external.connection); host allowed by postgres.allow_hosts"))
            suite.cases.append(
                ReportCase(
                    name: "nothing restored", status: .skipped,
                    message: "an external server is restored by its provider; this drill checks and measures it only"))
            return server
        }
    }
}
