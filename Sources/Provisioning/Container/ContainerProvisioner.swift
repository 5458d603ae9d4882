import DrillSupport
import Foundation
import PostgresClient
import Synchronization

/// Provisions PostgreSQL in a container (`postgres:MAJOR`, or the image the drill file names)
/// with the docker CLI or podman: a unique name and labels, the port on 127.0.0.1 only, the
/// quarantine settings on the server's command line. Restore tools run from this machine's
/// client programs of the same major version.
public struct ContainerProvisioner: Provisioner {
    public let options: ContainerOptions
    public var kind: String { options.runtime }
    /// Where the drill's own pg_hba.conf is mounted in the container.
    static let hbaPath = "/etc/restore-drill/pg_hba.conf"

    /// A provisioner with `options`.
    public init(options: ContainerOptions) { self.options = options }

    /// Checks that the image is there (pulling it if not); throws `ProvisionError` naming it.
    public func ensureImage(major: Int) async throws {
        let image = options.image(major: major)
        let inspected = try await runtime(ContainerCommands.inspectImage(options, image: image), name: "\(options.runtime) image inspect")
        if inspected.succeeded { return }
        let pulled = try await runtime(ContainerCommands.pull(options, image: image), name: "\(options.runtime) pull")
        guard pulled.succeeded else {
            throw ProvisionError(
                .binariesNotFound,
                "the image \(image) for PostgreSQL \(major) is not available to \(options.runtime): \(lastLine(pulled.standardError)). Pull or build it, or name another with postgres.image")
        }
    }

    public func provision(_ request: ProvisionRequest) async throws -> any ProvisionedServer {
        for name in request.settings.keys {
            if let reason = QuarantineSettings.rejectionReason(for: name) { throw ProvisionError(.forbiddenSetting, reason) }
        }
        var local: ServerBinaries?
        switch options.clientTools {
        case .local: local = try await ServerBinaries.locate(major: request.majorVersion, explicitDirectory: request.binDirectory)
        case .auto: local = try? await ServerBinaries.locate(major: request.majorVersion, explicitDirectory: request.binDirectory)
        case .container: local = nil
        }
        try await ensureImage(major: request.majorVersion)
        let (scratch, socket) = try Self.makeScratch(root: request.temporaryRoot)
        let name = "restore-drill-" + String(UUID().uuidString.lowercased().prefix(8))
        let port = FreePort.pick()
        let password = "rd-" + UUID().uuidString.lowercased()
        SecretMasker.shared.register(password)
        // No network: the drill (and the image's own tools) reach the server through a socket in
        // the drill's folder, mounted at the same path.
        let connection = ConnectionParameters(host: socket, port: port, user: "postgres", password: password, database: "postgres")
        var mounts: [(host: String, container: String)] = [(scratch, scratch)]
        if local == nil {
            for (index, path) in request.readOnlyPaths.enumerated() {
                mounts.append((path, "/restore-drill/read/\(index)/" + (path as NSString).lastPathComponent))
            }
        }
        let binaries = local ?? ServerBinaries(directory: "", majorVersion: request.majorVersion, version: "\(request.majorVersion) (\(options.image(major: request.majorVersion)))")
        let server = ContainerServer(
            options: options, name: name, connection: connection, binaries: binaries, scratchDirectory: scratch, containerTools: local == nil,
            mounts: mounts)
        do {
            try await server.contain(listenOnLoopback: request.listenOnLoopback)
            var settings = request.settings
            for (key, value) in QuarantineSettings.values { settings[key] = value }
            // The image's own pg_hba.conf (from initdb) allows replication connections: replace it.
            settings.merge(
                try ClientAuthentication.write(into: scratch, trustedRoles: [], loopback: false, owner: nil, readableByOthers: true)) { $1 }
            settings["unix_socket_directories"] = socket
            // The image must carry the preloaded libraries; the server says so if it does not.
            settings.merge(SchedulerQuarantine.preloadSettings(request, scratch: scratch)) { $1 }
            let arguments = ContainerCommands.run(
                options, name: name, image: options.image(major: request.majorVersion), port: port, settings: settings, dataDirectory: nil,
                created: TimestampText.iso(Date()), ownerPID: getpid(),
                readOnlyFiles: mounts.filter { $0.host != scratch }, readWriteFolders: [(scratch, scratch)])
            let started = try await ProcessRunner.run(
                ToolInvocation(
                    executable: options.runtime, arguments: arguments, environment: ["POSTGRES_PASSWORD": password],
                    displayName: "\(options.runtime) run").inheriting(ContainerOptions.cliEnvironment))
            guard started.succeeded else {
                throw ProvisionError(.startFailed, "\(options.runtime) run \(started.terminationDescription): \(lastLine(started.standardError))")
            }
            server.followLogs()
            try await server.waitUntilReady(timeout: .seconds(90))
            return server
        } catch {
            _ = await server.tearDown()
            throw error
        }
    }

    /// The drill's folder for a container: the container's server account must pass through it
    /// to the socket folder (world-writable with the sticky bit, like /tmp).
    static func makeScratch(root: String?) throws -> (scratch: String, socket: String) {
        let scratch = try ScratchDirectory.create(root: root, owner: nil)
        chmod(scratch, 0o711)
        let socket = scratch + "/socket"
        try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true)
        chmod(socket, 0o1777)
        return (scratch, socket)
    }

    func runtime(_ arguments: [String], name: String) async throws -> ToolResult {
        try await ProcessRunner.run(ToolInvocation(executable: options.runtime, arguments: arguments, displayName: name).inheriting(ContainerOptions.cliEnvironment))
    }
}

func lastLine(_ text: String) -> String {
    text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
}

/// PostgreSQL running in a drill's container.
public final class ContainerServer: ProvisionedServer {
    public let options: ContainerOptions
    public let name: String
    private let currentConnection: Mutex<ConnectionParameters>
    public var connection: ConnectionParameters { currentConnection.withLock { $0 } }
    /// For a physical restore: what `launch` starts (image, port, archive to mount, base settings).
    private let recoveryLaunch = Mutex<RecoveryLaunch?>(nil)
    var recovery: RecoveryLaunch? {
        get { recoveryLaunch.withLock { $0 } }
        set { recoveryLaunch.withLock { $0 = newValue } }
    }
    public let binaries: ServerBinaries
    public let scratchDirectory: String
    public var provisionerKind: String { options.runtime }
    /// Restore tools run inside the container (no local tools of the backup's major).
    public let containerTools: Bool
    let mounts: [(host: String, container: String)]
    private let containment = Mutex<(sandbox: DrillSandbox?, gap: String?, relay: LoopbackRelay?, watchdog: Watchdog?)>((nil, nil, nil, nil))
    private let log = LogTail()
    private let logTask = Mutex<Task<Void, Never>?>(nil)
    private let waitTask = Mutex<Task<Void, Never>?>(nil)
    private let removed = Mutex(false)
    /// Set when `wait` returns: the container (and so the postmaster) stopped.
    private let stopped = Mutex(false)

    init(
        options: ContainerOptions, name: String, connection: ConnectionParameters, binaries: ServerBinaries, scratchDirectory: String,
        containerTools: Bool, mounts: [(host: String, container: String)]
    ) {
        self.containerTools = containerTools
        self.mounts = mounts
        self.options = options
        self.name = name
        self.currentConnection = Mutex(connection)
        self.binaries = binaries
        self.scratchDirectory = scratchDirectory
    }

    /// Before the container starts: a watchdog that removes it should the drill die without its
    /// teardown (a container is no child of the drill, so no namespace takes it along), the
    /// drill's sandbox for the local restore tools, checks and services, and the loopback relay.
    func contain(listenOnLoopback: Bool) async throws {
        let watchdog = try Watchdog.arm(
            ToolInvocation(executable: options.runtime, arguments: ContainerCommands.remove(options, name: name), displayName: "\(options.runtime) rm")
                .inheriting(ContainerOptions.cliEnvironment))
        var sandbox: DrillSandbox?
        var gap: String?
        do {
            sandbox = try await DrillSandbox.start(writableRoot: scratchDirectory)
        } catch {
            gap = "\(error)"
        }
        var relay: LoopbackRelay?
        if listenOnLoopback {
            relay = try LoopbackRelay(port: connection.port, socketPath: connection.host + "/.s.PGSQL.\(connection.port)")
        }
        containment.withLock { $0 = (sandbox, gap, relay, watchdog) }
    }

    public var sandbox: DrillSandbox? { containment.withLock { $0.sandbox } }
    public var containmentGap: String? { containment.withLock { $0.gap } }
    /// 127.0.0.1 relayed to the server's socket, with `listen_on_loopback`.
    public var relay: LoopbackRelay? { containment.withLock { $0.relay } }

    /// Streams the container's log into a tail kept for failure reports.
    func followLogs() {
        let invocation = ToolInvocation(
            executable: options.runtime, arguments: ContainerCommands.followLogs(options, name: name), displayName: "\(options.runtime) logs",
            captureLimit: 4096, onLine: { [log] line, _ in log.append(line) }, gracePeriod: .seconds(1)).inheriting(ContainerOptions.cliEnvironment)
        logTask.withLock { $0 = Task { _ = try? await ProcessRunner.run(invocation) } }
        // `isRunning` must be right when a restore tool fails: a dead server is the harness's
        // problem (error), not the backup's (failure).
        let waiter = ToolInvocation(
            executable: options.runtime, arguments: ContainerCommands.wait(options, name: name), displayName: "\(options.runtime) wait",
            gracePeriod: .seconds(1)).inheriting(ContainerOptions.cliEnvironment)
        let stopped = self.stoppedFlag
        waitTask.withLock {
            $0 = Task {
                if let result = try? await ProcessRunner.run(waiter), result.succeeded { stopped.set() }
            }
        }
    }

    private var stoppedFlag: StopNotice { StopNotice(server: self) }

    /// Connects until the server answers (bounded by `timeout`); a container that stops is an error with its log.
    func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var lastProblem = ""
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            do {
                let session = try await PostgresConnection.connect(connection)
                session.close()
                return
            } catch {
                lastProblem = error.message
            }
            let state = try await ProcessRunner.run(
                ToolInvocation(executable: options.runtime, arguments: ContainerCommands.isRunning(options, name: name), displayName: "inspect").inheriting(ContainerOptions.cliEnvironment))
            if state.succeeded, state.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "false" {
                throw ProvisionError(.startFailed, "the container \(name) stopped before PostgreSQL accepted connections:\n\(recentLog(lines: 20))")
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw ProvisionError(.startFailed, "PostgreSQL in \(name) did not accept connections within \(DrillDuration.format(timeout)): \(lastProblem)\n\(recentLog(lines: 20))")
    }

    /// The host addresses the container's port 5432 is published on (`127.0.0.1:54321`).
    public func publishedAddresses() async throws -> [String] {
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: options.runtimeArguments + ["port", name, "5432/tcp"], displayName: "\(options.runtime) port").inheriting(ContainerOptions.cliEnvironment))
        return result.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func toolInvocation(_ tool: String, arguments: [String], environment: [String: String]) -> ToolInvocation {
        guard containerTools else {
            let local = ToolInvocation(executable: binaries.path(tool), arguments: arguments, environment: environment, displayName: tool)
            return sandbox?.wrap(local, scope: .server(user: nil)) ?? local
        }
        // The socket folder is mounted at the same path, so the connection is the same inside.
        let inner = environment
        var execArguments = options.runtimeArguments + ["exec", "--interactive"]
        for key in inner.keys.sorted() where key.hasPrefix("PG") {
            // Values reach the container through the CLI's environment: no password in argv.
            execArguments += ["--env", key]
        }
        execArguments += [name, tool] + arguments
        return ToolInvocation(
            executable: options.runtime, arguments: execArguments, environment: inner, displayName: "\(tool) (in \(name))").inheriting(ContainerOptions.cliEnvironment)
    }

    public func toolPath(_ hostPath: String) -> String {
        guard containerTools else { return hostPath }
        for mount in mounts where hostPath == mount.host || hostPath.hasPrefix(mount.host + "/") {
            return mount.container + hostPath.dropFirst(mount.host.count)
        }
        return hostPath
    }

    public func recentLog(lines: Int) -> String { log.last(lines) }
    public func serverLog() -> String { SecretMasker.shared.mask(log.last(10_000)) }
    public var isRunning: Bool { !removed.withLock { $0 } && !stopped.withLock { $0 } }

    /// Marks the container stopped (from the `wait` watcher).
    fileprivate func markStopped() { stopped.withLock { $0 = true } }

    public func launch(settings: [String: String], timeout: Duration) async throws -> ToolResult {
        guard let recovery else { throw ProvisionError(.startFailed, "this container was not prepared for a physical restore") }
        var all = recovery.settings
        for (key, value) in settings { all[key] = value }
        let arguments = ContainerCommands.run(
            options, name: name, image: recovery.image, port: connection.port, settings: all, dataDirectory: nil,
            created: TimestampText.iso(Date()), ownerPID: getpid(), readOnlyFiles: recovery.readOnly,
            readWriteFolders: [(scratchDirectory, scratchDirectory)], pgdata: dataDirectory)
        let started = try await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: arguments, environment: ["POSTGRES_PASSWORD": "unused"], displayName: "\(options.runtime) run").inheriting(ContainerOptions.cliEnvironment))
        if started.succeeded {
            stopped.withLock { $0 = false }
            followLogs()
        }
        return started
    }

    /// Stops and removes the container (the data directory stays in the scratch folder), so
    /// `launch` can start it again under the same name.
    func stopForRestart() async throws {
        let stop = try await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: ContainerCommands.stop(options, name: name), displayName: "\(options.runtime) stop")
                .inheriting(ContainerOptions.cliEnvironment))
        guard stop.succeeded else {
            throw ProvisionError(.startFailed, "\(options.runtime) stop \(name) \(stop.terminationDescription): \(lastLine(stop.standardError))")
        }
        _ = try await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: ContainerCommands.remove(options, name: name), displayName: "\(options.runtime) rm")
                .inheriting(ContainerOptions.cliEnvironment))
        await stopFollowing()
        stopped.withLock { $0 = true }
    }

    public func tearDown() async -> [String] {
        var problems: [String] = []
        let (sandbox, relay, watchdog) = containment.withLock { ($0.sandbox, $0.relay, $0.watchdog) }
        relay?.stop()
        let result = try? await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: ContainerCommands.remove(options, name: name), displayName: "\(options.runtime) rm").inheriting(ContainerOptions.cliEnvironment))
        if result?.succeeded != true, !(result?.standardError.contains("no such container") ?? false) {
            problems.append("\(options.runtime) rm -f \(name) \(result?.terminationDescription ?? "could not run"): \(lastLine(result?.standardError ?? ""))")
        }
        removed.withLock { $0 = true }
        await stopFollowing()
        await watchdog?.disarm()
        await sandbox?.end()
        if let problem = ScratchDirectory.remove(scratchDirectory) { problems.append(problem) }
        return problems
    }

    /// Ends the `logs --follow` and `wait` watchers of the container that ran.
    private func stopFollowing() async {
        for task in [logTask.withLock({ $0 }), waitTask.withLock({ $0 })].compactMap({ $0 }) {
            task.cancel()
            await task.value
        }
    }

    public func useSuperuser(_ role: String) { currentConnection.withLock { $0.user = role } }

    public func keepInstructions(database: String) async -> String {
        // The container stays: its watchdog must not remove it when the drill exits.
        await containment.withLock { $0.watchdog }?.disarm()
        let password = recovery == nil ? "PGPASSWORD=… (\(options.runtime) exec \(name) printenv POSTGRES_PASSWORD) " : ""
        let connect = "\(password)psql -h \(connection.host) -p \(connection.port) -U \(connection.user) \(database)   (the socket in the drill's folder; the container has no network)"
        return """
            restore-drill: the restored server keeps running in the container \(name):
              connect: \(connect)
              stop:    \(([options.runtime] + ContainerCommands.remove(options, name: name)).joined(separator: " ")) && rm -rf \(scratchDirectory)
            """
    }
}

/// The last lines of a container's log.
final class LogTail: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > 10_000 { lines.removeFirst(lines.count - 10_000) }
        }
    }
    func last(_ count: Int) -> String { lines.withLock { $0.suffix(count).joined(separator: "\n") } }
}

/// Lets the `wait` watcher mark its server stopped without holding it strongly.
struct StopNotice: Sendable {
    weak var server: ContainerServer?
    init(server: ContainerServer) { self.server = server }
    func set() { server?.markStopped() }
}

extension ContainerProvisioner {
    /// True when every file directly in `folder` can be read by any account.
    static func readableByOthers(_ folder: String) -> Bool {
        var info = stat()
        guard stat(folder, &info) == 0, info.st_mode & 0o005 == 0o005 else { return false }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            guard stat(folder + "/" + name, &info) == 0, info.st_mode & 0o004 != 0 else { return false }
        }
        return true
    }
}

/// What a physical restore's container starts with.
struct RecoveryLaunch: Sendable {
    var image: String
    /// Quarantine settings, our hba/ident files and the socket folder.
    var settings: [String: String]
    /// The WAL archive (and other sources), mounted read-only at their own paths.
    var readOnly: [(host: String, container: String)]
    /// A copy of the archive in the scratch folder, when the container's account could not read the original.
    var stagedArchive: String?
}

extension ContainerServer: RecoverableServer {
    public func walArchivePath(for path: String) -> String {
        guard let staged = recovery?.stagedArchive else { return path }
        return staged
    }

    public var root: String { scratchDirectory }
    public var dataDirectory: String { scratchDirectory + "/data" }
    public var serverUser: OSUser? { nil }
    public var serverReadsAsOther: Bool { true }
}

extension ContainerProvisioner {
    /// Prepares a container for a physical restore without starting it (recovery starts it):
    /// `populate` fills the data directory from a base backup; the drill's scratch folder is
    /// mounted at the same path, the WAL archive read-only, no network, a socket for the drill.
    public func provisionFromBackup(
        _ request: ProvisionRequest, superusers: [String], allowedPreloads: Set<String>, archive: String,
        populate: (PopulateContext) async throws -> [String]
    ) async throws -> (ContainerServer, [String]) {
        for name in request.settings.keys {
            if let reason = QuarantineSettings.rejectionReason(for: name) { throw ProvisionError(.forbiddenSetting, reason) }
        }
        let binaries = try await ServerBinaries.locate(major: request.majorVersion, explicitDirectory: request.binDirectory)
        try await ensureImage(major: request.majorVersion)
        let (scratch, socket) = try Self.makeScratch(root: request.temporaryRoot)
        let name = "restore-drill-" + String(UUID().uuidString.lowercased().prefix(8))
        let port = FreePort.pick()
        let connection = ConnectionParameters(host: socket, port: port, user: superusers.first ?? "postgres", database: "postgres")
        let server = ContainerServer(
            options: options, name: name, connection: connection, binaries: binaries, scratchDirectory: scratch, containerTools: false, mounts: [])
        do {
            try await server.contain(listenOnLoopback: request.listenOnLoopback)
            for folder in [scratch + "/tablespaces", scratch + "/data"] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            // The backup is untrusted: laid out inside the sandbox (read-only but for the drill's folder).
            let sandbox = server.sandbox
            var notes = try await populate(
                PopulateContext(
                    dataDirectory: scratch + "/data", tablespaceDirectory: scratch + "/tablespaces",
                    contain: { sandbox?.wrap($0, scope: .server(user: nil)) ?? $0 }))
            notes += try ConfigurationRepair.repair(dataDirectory: scratch + "/data")
            var settings = request.settings
            for (key, value) in QuarantineSettings.values { settings[key] = value }
            settings.merge(
                try ClientAuthentication.write(into: scratch, trustedRoles: superusers, loopback: false, owner: nil, readableByOthers: true)) { $1 }
            settings["unix_socket_directories"] = socket
            // The image has only its own extensions: keep the preloads the drill file allows, drop the rest (said in the report).
            settings["shared_preload_libraries"] = allowedPreloads.sorted().joined(separator: ",")
            notes.append(
                "shared_preload_libraries set to '\(allowedPreloads.sorted().joined(separator: ","))' in the container (recovery.allow_preload); production's preloads are not assumed to exist in the image")
            // The archive belongs to the machine's postgres account (archive_command writes 0600):
            // a container's postgres is another account. Read-only sources are never changed, so
            // an archive others cannot read is copied into the scratch folder for the container.
            var launch = RecoveryLaunch(image: options.image(major: request.majorVersion), settings: settings, readOnly: [(archive, archive)])
            if !Self.readableByOthers(archive) {
                let staged = scratch + "/wal-archive"
                let copied = try await ProcessRunner.run(
                    ToolInvocation(executable: "cp", arguments: ["-R", "--no-preserve=ownership,mode", archive + "/.", staged], displayName: "cp"))
                guard copied.succeeded else { throw ProvisionError(.workDirectory, "cannot copy the WAL archive for the container: \(copied.standardError)") }
                _ = try await ProcessRunner.run(ToolInvocation(executable: "chmod", arguments: ["-R", "a+rX", staged], displayName: "chmod"))
                launch.readOnly = []
                launch.stagedArchive = staged
                let size = (try? FileManager.default.subpathsOfDirectory(atPath: staged).count) ?? 0
                notes.append("the WAL archive is readable by its owner only, so its \(size) file(s) were copied into the drill's scratch folder for the container's server account")
            }
            server.recovery = launch
            return (server, notes)
        } catch {
            _ = await server.tearDown()
            throw error
        }
    }
}
