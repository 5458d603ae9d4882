import DrillSupport
import Foundation
import PostgresClient
import Synchronization

/// A server made by `PgCtlProvisioner`: `ROOT/data` (cluster), `ROOT/socket` (unix socket),
/// `ROOT/log/postgres.log`, `ROOT/work` (scratch for decompressed artifacts).
public final class PgCtlServer: ProvisionedServer {
    /// The private temp dir holding everything of this server.
    public let root: String
    public let binaries: ServerBinaries
    public let connection: ConnectionParameters
    private let owner: OSUser?
    private let listenOnLoopback: Bool
    private let state = Mutex(State())

    private struct State {
        var started = false
        var tornDown = false
    }

    public var provisionerKind: String { "pg_ctl" }
    public var scratchDirectory: String { root + "/work" }
    var dataDirectory: String { root + "/data" }
    var socketDirectory: String { root + "/socket" }
    var logFile: String { root + "/log/postgres.log" }

    init(root: String, binaries: ServerBinaries, owner: OSUser?, port: Int, password: String, listenOnLoopback: Bool) {
        self.root = root
        self.binaries = binaries
        self.owner = owner
        self.listenOnLoopback = listenOnLoopback
        self.connection = ConnectionParameters(
            host: root + "/socket", port: port, user: PgCtlProvisioner.superuser, password: password, database: "postgres")
    }

    func initialise(settings: [String: String]) async throws {
        for directory in [socketDirectory, root + "/log", scratchDirectory] {
            try ScratchDirectory.makeDirectory(directory, owner: directory == scratchDirectory ? nil : owner)
        }
        let passwordFile = root + "/initdb-password"
        try ScratchDirectory.writePrivateFile(passwordFile, contents: connection.password ?? "", owner: owner)
        defer { unlink(passwordFile) }
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: binaries.path("initdb"),
                arguments: [
                    "--pgdata=\(dataDirectory)", "--username=\(connection.user)", "--pwfile=\(passwordFile)",
                    "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
                ],
                workingDirectory: root, user: owner, displayName: "initdb"))
        guard result.succeeded else {
            throw ProvisionError(
                .initdbFailed,
                "initdb \(result.terminationDescription) in \(dataDirectory): \(Self.lastLines(result.standardError + result.standardOutput, 8))")
        }
        try writeConfiguration(settings: settings)
    }

    private func writeConfiguration(settings: [String: String]) throws(ProvisionError) {
        var lines = [
            "# Written by restore-drill before the first start. Quarantine: this copy must never act on production.",
            "port = \(connection.port)",
            "listen_addresses = '\(listenOnLoopback ? "127.0.0.1" : "")'",
            "unix_socket_directories = '\(socketDirectory)'",
            "unix_socket_permissions = 0700",
        ]
        lines += QuarantineSettings.values.map { "\($0.name) = '\(Self.escape($0.value))'" }
        lines += settings.sorted { $0.key < $1.key }.map { "\($0.key) = '\(Self.escape($0.value))'" }
        let includeFile = dataDirectory + "/restore-drill.conf"
        try ScratchDirectory.writePrivateFile(includeFile, contents: lines.joined(separator: "\n") + "\n", owner: owner)
        guard let handle = FileHandle(forUpdatingAtPath: dataDirectory + "/postgresql.conf") else {
            throw ProvisionError(.workDirectory, "cannot open \(dataDirectory)/postgresql.conf to add the drill settings")
        }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        handle.write(Data("\ninclude 'restore-drill.conf'\n".utf8))
    }

    func start() async throws {
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: binaries.path("pg_ctl"),
                arguments: ["--pgdata=\(dataDirectory)", "--log=\(logFile)", "--wait", "--timeout=120", "--silent", "start"],
                workingDirectory: root, user: owner, displayName: "pg_ctl start"))
        state.withLock { $0.started = true }
        guard result.succeeded else {
            throw ProvisionError(
                .startFailed,
                "PostgreSQL \(binaries.version) did not start (pg_ctl \(result.terminationDescription)). Server log:\n\(recentLog(lines: 15))")
        }
        do {
            let probe = try await PostgresConnection.connect(connection)
            probe.close()
        } catch {
            throw ProvisionError(.connectFailed, "PostgreSQL started but refused the drill's connection: \(error)")
        }
    }

    public func recentLog(lines: Int) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "(no server log)" }
        return SecretMasker.shared.mask(Self.lastLines(text, lines))
    }

    public func tearDown() async -> [String] {
        let shouldRun = state.withLock { state -> Bool in
            defer { state.tornDown = true }
            return !state.tornDown
        }
        guard shouldRun else { return [] }
        // Teardown runs even when the drill was cancelled (SIGINT): detach it from that cancellation.
        return await Task.detached { [self] in await self.stopAndRemove() }.value
    }

    private func stopAndRemove() async -> [String] {
        var problems: [String] = []
        if FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") {
            var stopped = false
            for mode in ["fast", "immediate"] where !stopped {
                let result = try? await ProcessRunner.run(
                    ToolInvocation(
                        executable: binaries.path("pg_ctl"),
                        arguments: ["--pgdata=\(dataDirectory)", "--mode=\(mode)", "--wait", "--timeout=30", "--silent", "stop"],
                        workingDirectory: root, user: owner, displayName: "pg_ctl stop"))
                stopped = result?.succeeded == true || !FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid")
            }
            if !stopped, let pid = postmasterPID() {
                kill(pid, SIGKILL)
                problems.append("PostgreSQL (pid \(pid)) did not stop with pg_ctl; it was killed")
                for _ in 0..<50 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(100)) }
            }
        }
        if let problem = ScratchDirectory.remove(root) { problems.append(problem) }
        return problems
    }

    private func postmasterPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first.trimmingCharacters(in: .whitespaces))
        else { return nil }
        return pid
    }

    public func keepInstructions(database: String) -> String {
        let passFile = root + "/pgpass"
        try? ScratchDirectory.writePrivateFile(
            passFile, contents: "*:\(connection.port):*:\(connection.user):\(connection.password ?? "")\n", owner: nil)
        let runAs = owner.map { "runuser -u \($0.name) -- " } ?? ""
        return """
            The restored server keeps running (--keep).
              connect: PGPASSFILE=\(passFile) \(binaries.path("psql")) -h \(socketDirectory) -p \(connection.port) -U \(connection.user) \(database)
              stop:    \(runAs)\(binaries.path("pg_ctl")) -D \(dataDirectory) -m fast stop && rm -rf \(root)
            """
    }

    static func escape(_ value: String) -> String { value.replacingOccurrences(of: "'", with: "''") }

    static func lastLines(_ text: String, _ count: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).joined(separator: "\n")
    }
}
