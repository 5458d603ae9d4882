import DrillSupport
import Foundation
import PostgresClient
import Provisioning

/// The stand-in for production: a real PostgreSQL listening on 127.0.0.2 with
/// `log_connections` on, trusting every connection (as a careless production might), with a
/// publication a subscription could attach to. A containment test passes only when this server
/// saw no connection and no write from the drill.
public final class ProductionServer: Sendable {
    /// 127.0.0.2: loopback, but not the drill's 127.0.0.1.
    public static let address = "127.0.0.2"
    public let port: Int
    public let directory: String
    private let binaries: ServerBinaries
    private let owner: OSUser?
    private let baseline: Int

    /// A DSN for production, the kind a backup carries in foreign servers and subscriptions.
    public var dsn: String { "host=\(Self.address) port=\(port) dbname=postgres user=postgres" }

    /// Starts it in a folder of `workspace` (outside the drill's TMPDIR).
    public init(in workspace: TestWorkspace) async throws {
        binaries = try await ServerBinaries.locate(major: try await TestServer.newestMajor())
        owner = OSUser.isRoot ? OSUser.lookup(name: "postgres") : nil
        directory = workspace.file("production")
        port = FreePort.pick()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let owner { chown(directory, owner.uid, owner.gid) }
        let data = directory + "/data"
        try await Self.run(binaries.path("initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--no-instructions"], owner)
        let hba = "local all all trust\nhost all all 127.0.0.0/8 trust\nhost replication all 127.0.0.0/8 trust\n"
        try hba.write(toFile: data + "/pg_hba.conf", atomically: true, encoding: .utf8)
        if let owner { chown(data + "/pg_hba.conf", owner.uid, owner.gid) }
        let options = [
            "listen_addresses=\(Self.address)", "port=\(port)", "unix_socket_directories=\(directory)", "log_connections=on",
            "wal_level=logical", "max_wal_senders=5", "max_replication_slots=5", "fsync=off",
        ].map { "-c " + $0 }.joined(separator: " ")
        try await Self.run(binaries.path("pg_ctl"), ["-D", data, "-l", directory + "/log", "-w", "-o", options, "start"], owner)
        let session = try await PostgresConnection.connect(
            ConnectionParameters(host: Self.address, port: port, user: "postgres", database: "postgres"))
        _ = try await session.execute(
            "CREATE TABLE sentinel (id int); INSERT INTO sentinel VALUES (1); CREATE PUBLICATION everything FOR ALL TABLES")
        session.close()
        baseline = Self.connections(in: directory + "/log")
    }

    /// Runs `body` with a production server in `workspace`, stopped afterwards even when it throws.
    public static func with<T: Sendable>(in workspace: TestWorkspace, _ body: (ProductionServer) async throws -> T) async throws -> T {
        let production = try await ProductionServer(in: workspace)
        do {
            let value = try await body(production)
            await production.stop()
            return value
        } catch {
            await production.stop()
            throw error
        }
    }

    /// Connections production saw since it was set up (each logged "connection received").
    public var connectionsSeen: Int { Self.connections(in: directory + "/log") - baseline }

    /// The connection lines themselves, for failure messages.
    public var connectionLog: String {
        ((try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains("connection received") }.dropFirst(baseline).joined(separator: "\n")
    }

    /// Rows in the sentinel table and replication slots: a write from the drill changes one of them.
    public func state() async throws -> String {
        let session = try await PostgresConnection.connect(ConnectionParameters(host: directory, port: port, user: "postgres", database: "postgres"))
        defer { session.close() }
        let rows = try await session.query("SELECT count(*) FROM sentinel").int() ?? -1
        let slots = try await session.query("SELECT count(*) FROM pg_replication_slots").int() ?? -1
        return "sentinel rows \(rows), replication slots \(slots)"
    }

    /// What `state()` says when nothing touched it.
    public static let untouched = "sentinel rows 1, replication slots 0"

    /// Stops it.
    public func stop() async {
        _ = try? await Self.run(binaries.path("pg_ctl"), ["-D", directory + "/data", "-m", "immediate", "-w", "stop"], owner)
    }

    static func connections(in log: String) -> Int {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "connection received").count - 1
    }

    static func run(_ program: String, _ arguments: [String], _ owner: OSUser?) async throws {
        let result = try await ProcessRunner.run(ToolInvocation(executable: program, arguments: arguments, user: owner))
        guard result.succeeded else { throw TestSupportError("\(program) \(result.terminationDescription): \(result.standardError)") }
    }
}
