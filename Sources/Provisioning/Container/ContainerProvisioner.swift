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
        let scratch = try ScratchDirectory.create(root: request.temporaryRoot, owner: nil)
        let name = "restore-drill-" + String(UUID().uuidString.lowercased().prefix(8))
        let port = FreePort.pick()
        let password = "rd-" + UUID().uuidString.lowercased()
        SecretMasker.shared.register(password)
        let connection = ConnectionParameters(host: "127.0.0.1", port: port, user: "postgres", password: password, database: "postgres")
        // Without local tools of this major, the image's run inside the container, reading the
        // backup and the scratch folder through read-only (backup) and read-write (scratch) mounts.
        var mounts: [(host: String, container: String)] = []
        if local == nil {
            mounts.append((scratch, "/restore-drill/work"))
            for (index, path) in request.readOnlyPaths.enumerated() {
                mounts.append((path, "/restore-drill/read/\(index)/" + (path as NSString).lastPathComponent))
            }
        }
        let binaries = local ?? ServerBinaries(directory: "", majorVersion: request.majorVersion, version: "\(request.majorVersion) (\(options.image(major: request.majorVersion)))")
        let server = ContainerServer(
            options: options, name: name, connection: connection, binaries: binaries, scratchDirectory: scratch, containerTools: local == nil,
            mounts: mounts, innerPort: options.network == .host ? port : 5432)
        var settings = request.settings
        for (key, value) in QuarantineSettings.values { settings[key] = value }
        // The image's own pg_hba.conf (from initdb) allows replication connections: replace it.
        let hba = scratch + "/pg_hba.conf"
        let rules = [
            "# Written by restore-drill: passwords everywhere, no replication line.",
            "local all all scram-sha-256",
            options.network == .host ? "host all all 127.0.0.1/32 scram-sha-256" : "host all all all scram-sha-256",
        ]
        try ScratchDirectory.writePrivateFile(hba, contents: rules.joined(separator: "\n") + "\n", owner: nil)
        chmod(hba, 0o644)
        settings["hba_file"] = Self.hbaPath
        let arguments = ContainerCommands.run(
            options, name: name, image: options.image(major: request.majorVersion), port: port, settings: settings, dataDirectory: nil,
            created: TimestampText.iso(Date()), ownerPID: getpid(),
            readOnlyFiles: [(hba, Self.hbaPath)] + mounts.filter { $0.host != scratch }, readWriteFolders: mounts.filter { $0.host == scratch })
        do {
            let started = try await ProcessRunner.run(
                ToolInvocation(
                    executable: options.runtime, arguments: arguments, environment: ["POSTGRES_PASSWORD": password],
                    displayName: "\(options.runtime) run"))
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

    func runtime(_ arguments: [String], name: String) async throws -> ToolResult {
        try await ProcessRunner.run(ToolInvocation(executable: options.runtime, arguments: arguments, displayName: name))
    }
}

func lastLine(_ text: String) -> String {
    text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
}

/// PostgreSQL running in a drill's container.
public final class ContainerServer: ProvisionedServer {
    public let options: ContainerOptions
    public let name: String
    public let connection: ConnectionParameters
    public let binaries: ServerBinaries
    public let scratchDirectory: String
    public var provisionerKind: String { options.runtime }
    /// Restore tools run inside the container (no local tools of the backup's major).
    public let containerTools: Bool
    let mounts: [(host: String, container: String)]
    /// The server's port inside the container.
    let innerPort: Int
    private let log = LogTail()
    private let logTask = Mutex<Task<Void, Never>?>(nil)
    private let waitTask = Mutex<Task<Void, Never>?>(nil)
    private let removed = Mutex(false)
    /// Set when `wait` returns: the container (and so the postmaster) stopped.
    private let stopped = Mutex(false)

    init(
        options: ContainerOptions, name: String, connection: ConnectionParameters, binaries: ServerBinaries, scratchDirectory: String,
        containerTools: Bool, mounts: [(host: String, container: String)], innerPort: Int
    ) {
        self.containerTools = containerTools
        self.mounts = mounts
        self.innerPort = innerPort
        self.options = options
        self.name = name
        self.connection = connection
        self.binaries = binaries
        self.scratchDirectory = scratchDirectory
    }

    /// Streams the container's log into a tail kept for failure reports.
    func followLogs() {
        let invocation = ToolInvocation(
            executable: options.runtime, arguments: ContainerCommands.followLogs(options, name: name), displayName: "\(options.runtime) logs",
            captureLimit: 4096, onLine: { [log] line, _ in log.append(line) }, gracePeriod: .seconds(1))
        logTask.withLock { $0 = Task { _ = try? await ProcessRunner.run(invocation) } }
        // `isRunning` must be right when a restore tool fails: a dead server is the harness's
        // problem (error), not the backup's (failure).
        let waiter = ToolInvocation(
            executable: options.runtime, arguments: ContainerCommands.wait(options, name: name), displayName: "\(options.runtime) wait",
            gracePeriod: .seconds(1))
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
                ToolInvocation(executable: options.runtime, arguments: ContainerCommands.isRunning(options, name: name), displayName: "inspect"))
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
            ToolInvocation(executable: options.runtime, arguments: options.runtimeArguments + ["port", name, "5432/tcp"], displayName: "\(options.runtime) port"))
        return result.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func toolInvocation(_ tool: String, arguments: [String], environment: [String: String]) -> ToolInvocation {
        guard containerTools else {
            return ToolInvocation(executable: binaries.path(tool), arguments: arguments, environment: environment, displayName: tool)
        }
        var inner = environment
        inner["PGHOST"] = "127.0.0.1"
        inner["PGPORT"] = String(innerPort)
        var execArguments = options.runtimeArguments + ["exec", "--interactive"]
        for key in inner.keys.sorted() where key.hasPrefix("PG") {
            // Values reach the container through the CLI's environment: no password in argv.
            execArguments += ["--env", key]
        }
        execArguments += [name, tool] + arguments
        return ToolInvocation(
            executable: options.runtime, arguments: execArguments, environment: inner, displayName: "\(tool) (in \(name))")
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
        throw ProvisionError(.startFailed, "physical restores need the pg_ctl provisioner in this version")
    }

    public func tearDown() async -> [String] {
        var problems: [String] = []
        let result = try? await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: ContainerCommands.remove(options, name: name), displayName: "\(options.runtime) rm"))
        if result?.succeeded != true, !(result?.standardError.contains("no such container") ?? false) {
            problems.append("\(options.runtime) rm -f \(name) \(result?.terminationDescription ?? "could not run"): \(lastLine(result?.standardError ?? ""))")
        }
        removed.withLock { $0 = true }
        for task in [logTask.withLock({ $0 }), waitTask.withLock({ $0 })].compactMap({ $0 }) {
            task.cancel()
            await task.value
        }
        if let problem = ScratchDirectory.remove(scratchDirectory) { problems.append(problem) }
        return problems
    }

    public func keepInstructions(database: String) -> String {
        """
        restore-drill: the restored server keeps running in the container \(name):
          connect: PGPASSWORD=… psql -h 127.0.0.1 -p \(connection.port) -U postgres \(database)   (password: \(options.runtime) exec \(name) printenv POSTGRES_PASSWORD)
          stop:    \(([options.runtime] + ContainerCommands.remove(options, name: name)).joined(separator: " "))
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
