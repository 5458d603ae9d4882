import DrillSupport
import Foundation
import PostgresClient
import Synchronization

/// A server made by `PgCtlProvisioner`: `ROOT/data` (cluster), `ROOT/socket` (unix socket),
/// `ROOT/log/postgres.log`, `ROOT/work` (scratch), `ROOT/tablespaces` (remapped tablespaces).
///
/// Its own settings (port, socket, quarantine, the drill file's settings) are passed on the
/// postmaster command line, which outranks `postgresql.conf` and `postgresql.auto.conf`: a
/// restored production config (or an `ALTER SYSTEM` in it) cannot undo the quarantine.
public final class PgCtlServer: ProvisionedServer {
    /// The private temp dir holding everything of this server.
    public let root: String
    public let binaries: ServerBinaries
    private let baseConnection: ConnectionParameters
    private let owner: OSUser?
    private let listenOnLoopback: Bool
    private let quarantined: Bool
    /// The namespaces the server and its tools run in; nil when they could not be had (then
    /// `containmentGap` says why and the quarantine settings are the only layer).
    public let sandbox: DrillSandbox?
    /// Why there is no sandbox (nil when there is one, or for an unquarantined source server).
    public let containmentGap: String?
    /// With a sandbox and `listen_on_loopback`: 127.0.0.1:PORT relayed to the socket.
    public let relay: LoopbackRelay?
    private let state = Mutex(State())

    private struct State {
        var settings: [String: String] = [:]
        var tornDown = false
        var superuser: String?
    }

    public var connection: ConnectionParameters {
        var parameters = baseConnection
        if let superuser = state.withLock({ $0.superuser }) { parameters.user = superuser }
        return parameters
    }

    /// Connects as `role` from now on (a restored cluster's superuser is only known once it runs).
    public func useSuperuser(_ role: String) { state.withLock { $0.superuser = role } }

    public var provisionerKind: String { "pg_ctl" }
    public var scratchDirectory: String { root + "/work" }
    /// The cluster's data directory.
    public var dataDirectory: String { root + "/data" }
    /// Where remapped tablespaces live.
    public var tablespaceDirectory: String { root + "/tablespaces" }
    var socketDirectory: String { root + "/socket" }
    var logFile: String { root + "/log/postgres.log" }

    init(
        root: String, binaries: ServerBinaries, owner: OSUser?, connection: ConnectionParameters, listenOnLoopback: Bool,
        quarantined: Bool, sandbox: DrillSandbox? = nil, containmentGap: String? = nil
    ) {
        self.sandbox = sandbox
        self.containmentGap = containmentGap
        // The server has no network of its own: TCP on 127.0.0.1 comes through the drill's relay.
        self.relay =
            sandbox != nil && listenOnLoopback
            ? try? LoopbackRelay(port: connection.port, socketPath: root + "/socket/.s.PGSQL.\(connection.port)") : nil
        self.root = root
        self.binaries = binaries
        self.owner = owner
        self.baseConnection = connection
        self.listenOnLoopback = listenOnLoopback
        self.quarantined = quarantined
    }

    /// The OS account the server runs as (nil: this process's own).
    public var serverUser: OSUser? { owner }

    /// `invocation` of a server program (initdb, pg_ctl, postgres) or a restore tool: inside the
    /// sandbox when there is one, always as the server's account when the drill runs as root.
    public func serverInvocation(_ invocation: ToolInvocation) -> ToolInvocation {
        var invocation = invocation
        invocation.user = owner
        return sandbox?.wrap(invocation, scope: .server(user: owner)) ?? invocation
    }

    /// `invocation` as the server's account with the sandbox's read-only file systems and
    /// process namespace but the host's network: for a backup tool that downloads from its store.
    public func fetcherInvocation(_ invocation: ToolInvocation) -> ToolInvocation {
        var invocation = invocation
        invocation.user = owner
        return sandbox?.wrap(invocation, scope: .fetcher(user: owner)) ?? invocation
    }

    public var toolUser: OSUser? { owner }

    public func toolInvocation(_ tool: String, arguments: [String], environment: [String: String]) -> ToolInvocation {
        serverInvocation(ToolInvocation(executable: binaries.path(tool), arguments: arguments, environment: environment, displayName: tool))
    }

    func makeDirectories() throws {
        // Written without a loop over an array: Swift 6.3.1's optimizer crashed (ownership
        // verifier, CopyPropagation) on the loop form in release builds.
        let serverOwned = [socketDirectory, root + "/log", tablespaceDirectory]
        try serverOwned.forEach { try ScratchDirectory.makeDirectory($0, owner: owner) }
        try ScratchDirectory.makeDirectory(scratchDirectory, owner: owner)
    }

    /// Creates a fresh cluster with `initdb`.
    func initialise(settings: [String: String]) async throws {
        let passwordFile = root + "/initdb-password"
        try ScratchDirectory.writePrivateFile(passwordFile, contents: connection.password ?? "", owner: owner)
        defer { unlink(passwordFile) }
        let result = try await ProcessRunner.run(
            serverInvocation(ToolInvocation(
                executable: binaries.path("initdb"),
                arguments: [
                    "--pgdata=\(dataDirectory)", "--username=\(connection.user)", "--pwfile=\(passwordFile)",
                    "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
                ],
                workingDirectory: root, displayName: "initdb")))
        guard result.succeeded else {
            // initdb prints progress on stdout and the reason on stderr: lead with the reason.
            let reason = result.standardError.isEmpty ? Self.lastLines(result.standardOutput, 8) : Self.lastLines(result.standardError, 8)
            let hint = reason.contains("No space left on device") ? " The temp dir's filesystem is full: set TMPDIR to a larger one." : ""
            throw ProvisionError(.initdbFailed, "initdb \(result.terminationDescription) in \(dataDirectory): \(reason)\(hint)")
        }
        var effective = settings
        if quarantined { effective.merge(try writeAuthenticationFiles(trustedRoles: [])) { $1 } }
        state.withLock { $0.settings = effective }
    }

    /// Writes the drill's own `pg_hba.conf` and `pg_ident.conf` (see `ClientAuthentication`).
    func writeAuthenticationFiles(trustedRoles: [String]) throws -> [String: String] {
        try ClientAuthentication.write(into: root, trustedRoles: trustedRoles, loopback: listenOnLoopback, owner: owner)
    }

    /// Takes over a data directory that was filled from a backup: gives it to the server
    /// account, replaces client authentication with trust on the private socket only, and
    /// repairs configuration that points at production's machine. Returns report notes.
    func adoptDataDirectory(settings: [String: String], trustedRoles: [String], allowedPreloads: Set<String>) async throws -> [String] {
        try ScratchDirectory.makeDirectory(dataDirectory, owner: owner)
        var notes: [String] = []
        // Production's passwords are unknown here: trust the superuser, but only on the private socket.
        let authentication = try writeAuthenticationFiles(trustedRoles: trustedRoles)
        notes += try ConfigurationRepair.repair(dataDirectory: dataDirectory)
        if let owner {
            for path in [dataDirectory, tablespaceDirectory] {
                let result = try await ProcessRunner.run(
                    ToolInvocation(executable: "chown", arguments: ["-R", "\(owner.uid):\(owner.gid)", path], displayName: "chown"))
                guard result.succeeded else { throw ProvisionError(.workDirectory, "cannot give \(path) to \(owner.name): \(result.standardError)") }
            }
        }
        chmod(dataDirectory, 0o700)
        var effective = settings.merging(authentication) { $1 }
        let (preloads, preloadNotes) = try await PreloadFilter.filter(server: self, allowed: allowedPreloads, owner: owner)
        notes += preloadNotes
        if let preloads { effective["shared_preload_libraries"] = preloads }
        // pg_cron starts production's jobs the moment the copy is promoted unless kept from it.
        let kept = preloads?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        effective.merge(SchedulerQuarantine.settings(preloading: kept, deadSocketFolder: SchedulerQuarantine.deadSocketFolder(in: root), database: nil)) { $1 }
        state.withLock { $0.settings = effective }
        return notes
    }

    /// The options string for `pg_ctl -o`: each `-c name=value` shell-quoted, since pg_ctl
    /// hands the string to `/bin/sh`.
    func serverOptions(extra: [String: String]) -> String {
        serverSettings(extra: extra).sorted { $0.key < $1.key }.map { "-c " + Self.shellQuote("\($0.key)=\($0.value)") }.joined(separator: " ")
    }

    /// Every setting the postmaster is started with: the provisioner's, the quarantine's, `extra`, and where it listens.
    func serverSettings(extra: [String: String]) -> [String: String] {
        var settings = state.withLock { $0.settings }
        if quarantined {
            for (name, value) in QuarantineSettings.values { settings[name] = value }
        }
        for (name, value) in extra { settings[name] = value }
        settings["port"] = String(connection.port)
        settings["listen_addresses"] = listenOnLoopback && sandbox == nil ? "127.0.0.1" : ""
        settings["unix_socket_directories"] = socketDirectory
        settings["unix_socket_permissions"] = "0700"
        return settings
    }

    /// Starts a cluster made by initdb and checks the drill can connect.
    func start() async throws {
        let result = try await launch(settings: [:], timeout: .seconds(120))
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

    public func launch(settings: [String: String], timeout: Duration) async throws -> ToolResult {
        try await ProcessRunner.run(
            serverInvocation(ToolInvocation(
                executable: binaries.path("pg_ctl"),
                arguments: [
                    "--pgdata=\(dataDirectory)", "--log=\(logFile)", "--wait", "--timeout=\(Int(timeout.seconds))", "--silent",
                    "--options=\(serverOptions(extra: settings))", "start",
                ],
                workingDirectory: root, displayName: "pg_ctl start")))
    }

    public var isRunning: Bool {
        guard let pid = postmasterHostPID() else { return false }
        return kill(pid, 0) == 0 && !Self.isZombie(pid)
    }

    /// The postmaster's pid as this process sees it (postmaster.pid holds the one inside the sandbox).
    public func postmasterHostPID() -> pid_t? {
        guard let pid = postmasterPID() else { return nil }
        guard let sandbox else { return pid }
        return sandbox.hostPID(ofNamespacePID: pid)
    }

    public func serverLog() -> String {
        SecretMasker.shared.mask((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")
    }

    public func recentLog(lines: Int) -> String {
        let text = serverLog()
        return text.isEmpty ? "(no server log)" : Self.lastLines(text, lines)
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
        if isRunning {
            var stopped = false
            for mode in ["fast", "immediate"] where !stopped { stopped = await stop(mode: mode) }
            if !stopped, let pid = postmasterHostPID() {
                kill(pid, SIGKILL)
                problems.append("PostgreSQL (pid \(pid)) did not stop with pg_ctl; it was killed")
                for _ in 0..<50 where kill(pid, 0) == 0 && !Self.isZombie(pid) { try? await Task.sleep(for: .milliseconds(100)) }
            }
        }
        relay?.stop()
        // Whatever is still inside (a COPY ... PROGRAM child, a double fork) ends with the namespace.
        await sandbox?.end()
        if let problem = ScratchDirectory.remove(root) { problems.append(problem) }
        return problems
    }

    /// `pg_ctl stop --mode=MODE`; true once the postmaster is gone.
    func stop(mode: String) async -> Bool {
        let result = try? await ProcessRunner.run(
            serverInvocation(ToolInvocation(
                executable: binaries.path("pg_ctl"),
                arguments: ["--pgdata=\(dataDirectory)", "--mode=\(mode)", "--wait", "--timeout=30", "--silent", "stop"],
                workingDirectory: root, displayName: "pg_ctl stop")))
        return result?.succeeded == true || !isRunning
    }

    private func postmasterPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first.trimmingCharacters(in: .whitespaces))
        else { return nil }
        return pid
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    public func keepInstructions(database: String) async -> String {
        let passFile = root + "/pgpass"
        try? ScratchDirectory.writePrivateFile(
            passFile, contents: "*:\(connection.port):*:\(connection.user):\(connection.password ?? "")\n", owner: nil)
        let connect = "PGPASSFILE=\(passFile) \(binaries.path("psql")) -h \(socketDirectory) -p \(connection.port) -U \(connection.user) \(database)"
        if let sandbox {
            // The sandbox ends with the drill; a keeper process holds it open from now on.
            guard let keeper = try? await sandbox.keepAlive(holding: DrillLock.descriptor(for: root + "/" + DrillLock.fileName)) else {
                return "restore-drill: --keep: the sandbox could not be handed to a keeper process; the server stops with the drill"
            }
            try? ScratchDirectory.writePrivateFile(root + "/" + LeftoverSweep.keeperFile, contents: "\(keeper)\n", owner: nil)
            return """
                The restored server keeps running (--keep), in the drill's sandbox (no network\(relay == nil ? "" : "; the 127.0.0.1 relay ended with the drill, use the socket")).
                  connect: \(connect)
                  stop:    kill \(keeper) && while kill -0 \(sandbox.holderPID) 2>/dev/null; do sleep 0.1; done && rm -rf \(root)
                """
        }
        let runAs = owner.map { "runuser -u \($0.name) -- " } ?? ""
        // The folder's lock outlives the drill with a keeper, so `cleanup` leaves the kept server alone.
        var stopKeeper = ""
        if let lock = DrillLock.descriptor(for: root + "/" + DrillLock.fileName), let keeper = try? await KeeperProcess.start(holding: [lock, lock]) {
            try? ScratchDirectory.writePrivateFile(root + "/" + LeftoverSweep.keeperFile, contents: "\(keeper)\n", owner: nil)
            stopKeeper = "kill \(keeper); "
        }
        return """
            The restored server keeps running (--keep).
              connect: \(connect)
              stop:    \(runAs)\(binaries.path("pg_ctl")) -D \(dataDirectory) -m fast stop; \(stopKeeper)rm -rf \(root)
            """
    }

    static func shellQuote(_ value: String) -> String { "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static func lastLines(_ text: String, _ count: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).joined(separator: "\n")
    }
}
