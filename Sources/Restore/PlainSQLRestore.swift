import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Synchronization

/// Runs a plain SQL dump through psql in restricted mode, one psql session per database the
/// dump `\connect`s to, all on the throwaway server. The drill reads the dump (decompressing it
/// as a stream), passes it through `PlainSQLFilter`, and writes it into psql's standard input
/// after its own `\restrict` line; psql runs as the server's account, in the sandbox.
struct PlainSQLRestore {
    var artifactPath: String
    var compression: Compression
    var database: String
    var server: any ProvisionedServer
    /// For cluster dumps and roles files (nil for a pg_dump).
    var roleRules: RoleStatementRules? = nil
    /// SQL given to every session before the dump's first line (a data-only part's
    /// `SET session_replication_role = replica`).
    var preamble: String? = nil

    /// What the restore did: the databases it ran in and whether the dump was complete.
    struct Outcome {
        var databases: [String]
        /// What the dump held, as it streamed by.
        var inventory: BackupInventory
        /// What the role rules did, when there were any.
        var roleRules: RoleStatementRules?
    }

    func run() async throws -> Outcome {
        // psql and the decompressor run in tasks of their own: a cancelled drill stops them here.
        let running = RunningProcesses()
        return try await withTaskCancellationHandler {
            try await feed(running)
        } onCancel: {
            running.cancelAll()
        }
    }

    private func feed(_ running: RunningProcesses) async throws -> Outcome {
        try Self.requireRestrictedMode(server.binaries)
        let key = Self.randomKey()
        let source = try await DumpSource.open(path: artifactPath, compression: compression)
        running.add(source.cancel)
        var filter = PlainSQLFilter(roleRules: roleRules)
        let inspectsRoles = roleRules != nil
        var scanner = PlainDumpScanner()
        scanner.enterDatabase(database)
        var databases = [database]
        var session = try PsqlSession.start(server: server, database: database, key: key, preamble: preamble)
        running.add(session.cancel)
        var pending: [UInt8] = []
        var failure: RestoreError?
        reading: while true {
            let chunk: [UInt8]
            do {
                chunk = try await source.read()
            } catch {
                failure = RestoreError(.failure, step: "read plain dump", "cannot read \(artifactPath): \(error)")
                break
            }
            if chunk.isEmpty { break }
            pending += chunk
            var output: [UInt8] = []
            output.reserveCapacity(pending.count)
            var lineStart = 0
            var index = 0
            while let newline = pending[index...].firstIndex(of: UInt8(ascii: "\n")) {
                index = newline + 1
                let action: PlainSQLFilter.Action
                if !filter.inCopyStatement, Self.quickPass(pending, lineStart, inCopy: filter.inCopy, inspectsRoles: inspectsRoles) {
                    action = .pass
                    if filter.inCopy {
                        scanner.countRow()
                    } else if pending[lineStart] != UInt8(ascii: "\n"), pending[lineStart] != UInt8(ascii: "\r") {
                        scanner.sawStatement()
                    }
                } else {
                    let line = Substring(decoding: pending[lineStart..<newline], as: UTF8.self)
                    scanner.observe(line)
                    action = filter.classify(line)
                }
                switch action {
                case .pass: output += pending[lineStart..<index]
                case .drop: break
                case .replace(let line): output += Array((line + "\n").utf8)
                case .refuse(let reason):
                    failure = RestoreError(.failure, step: "psql", "\(reason). The backup was not restored.")
                    break reading
                case .connect(let next):
                    if let problem = await session.write(output) { failure = problem; break reading }
                    output.removeAll(keepingCapacity: true)
                    if let problem = try await session.finish() { failure = problem; break reading }
                    databases.append(next)
                    scanner.enterDatabase(next)
                    session = try PsqlSession.start(server: server, database: next, key: key, preamble: preamble)
                    running.add(session.cancel)
                }
                lineStart = index
            }
            pending.removeFirst(lineStart)
            if let problem = await session.write(output) { failure = problem; break }
        }
        if failure == nil, !pending.isEmpty {
            scanner.observe(Substring(decoding: pending, as: UTF8.self))
            switch filter.classify(Substring(decoding: pending, as: UTF8.self)) {
            case .refuse(let reason): failure = RestoreError(.failure, step: "psql", "\(reason). The backup was not restored.")
            case .drop, .connect: break
            case .replace(let line): failure = await session.write(Array((line + "\n").utf8))
            case .pass: failure = await session.write(pending + [UInt8(ascii: "\n")])
            }
        }
        try Task.checkCancellation()
        let sessionProblem = try await session.finish()
        let sourceProblem = await source.close(stoppedEarly: failure != nil || sessionProblem != nil)
        if let failure = sessionProblem ?? failure ?? sourceProblem { throw failure }
        return Outcome(databases: databases, inventory: scanner.result, roleRules: filter.roleRules)
    }

    /// Most lines need no look: anything outside COPY data that starts with neither `\`, `C`,
    /// `-` nor a blank (nor `A` or `D` when role statements are watched), and inside COPY data
    /// anything that does not start with `\`.
    static func quickPass(_ bytes: [UInt8], _ start: Int, inCopy: Bool, inspectsRoles: Bool = false) -> Bool {
        guard start < bytes.count else { return !inCopy }
        let first = bytes[start]
        if inCopy { return first != UInt8(ascii: "\\") }
        if inspectsRoles, first == UInt8(ascii: "A") || first == UInt8(ascii: "D") { return false }
        return first != UInt8(ascii: "\\") && first != UInt8(ascii: "C") && first != UInt8(ascii: "-") && first != UInt8(ascii: " ")
            && first != UInt8(ascii: "\t")
    }

    /// psql gained `\restrict` in 13.22, 14.19, 15.14, 16.10 and 17.6 (CVE-2025-8714).
    static func requireRestrictedMode(_ binaries: ServerBinaries) throws {
        let parts = binaries.version.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard let major = parts.first else { return }
        let minor = parts.count > 1 ? parts[1] : 0
        let minimum: [Int: Int] = [13: 22, 14: 19, 15: 14, 16: 10, 17: 6]
        if major >= 18 || minor >= (minimum[major] ?? Int.max) { return }
        throw RestoreError(
            .error, step: "psql",
            "psql \(binaries.version) has no restricted mode (\\restrict came with 13.22, 14.19, 15.14, 16.10 and 17.6): a plain SQL dump could run shell commands through it. Install a newer minor release of PostgreSQL \(major)'s client.")
    }

    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<40).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
}

/// One psql process reading a pipe the drill writes into.
final class PsqlSession: @unchecked Sendable {
    // The write end is used by one task at a time (the restore's), in order.
    private var writeEnd: Int32
    private let task: Task<Result<ToolResult, any Error>, Never>
    private let server: any ProvisionedServer
    let database: String

    private init(writeEnd: Int32, task: Task<Result<ToolResult, any Error>, Never>, server: any ProvisionedServer, database: String) {
        self.writeEnd = writeEnd
        self.task = task
        self.server = server
        self.database = database
    }

    static func start(server: any ProvisionedServer, database: String, key: String, preamble: String? = nil) throws -> PsqlSession {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw RestoreError(.error, step: "psql", "cannot create a pipe for psql: \(String(cString: strerror(errno)))") }
        _ = fcntl(descriptors[1], F_SETFD, FD_CLOEXEC)
        var psql = server.toolInvocation(
            "psql", arguments: ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--dbname=\(database)", "--file=-"],
            environment: server.connection.with(database: database).libpqEnvironment)
        psql.displayName = "psql"
        psql.captureLimit = 64 * 1024
        psql.pipeInput = descriptors[0]
        let task = Task { () -> Result<ToolResult, any Error> in
            do { return .success(try await ProcessRunner.run(psql)) } catch { return .failure(error) }
        }
        let session = PsqlSession(writeEnd: descriptors[1], task: task, server: server, database: database)
        // Before any line of the dump: from here on only `\unrestrict KEY` could lift it.
        _ = session.writeAll(Array("\\restrict \(key)\n".utf8))
        if let preamble { _ = session.writeAll(Array((preamble + "\n").utf8)) }
        return session
    }

    /// Writes `bytes`; a psql that stopped reading (it failed) ends the session with its error.
    func write(_ bytes: [UInt8]) async -> RestoreError? {
        guard !bytes.isEmpty else { return nil }
        let descriptor = writeEnd
        let written = (try? await BlockingWork.run { [bytes] in PsqlSession.writeAll(descriptor, bytes) }) ?? false
        if written { return nil }
        return (try? await finish()) ?? RestoreError(.error, step: "psql", "psql stopped reading the dump")
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool { Self.writeAll(writeEnd, bytes) }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    /// Stops psql (and what it started).
    @Sendable func cancel() { task.cancel() }

    /// Closes psql's input and waits for it; returns why it failed, or nil.
    func finish() async throws -> RestoreError? {
        if writeEnd >= 0 {
            close(writeEnd)
            writeEnd = -1
        }
        switch await task.value {
        case .failure(let error):
            if error is CancellationError { throw error }
            return RestoreError(.error, step: "psql", "psql could not run: \(error)")
        case .success(let result):
            guard !result.succeeded else { return nil }
            var error = LogicalRestore.classify(tool: "psql", result: result, serverRunning: server.isRunning)
            if result.standardError.contains("backslash commands are restricted") {
                error.kind = .failure
                error.message = "the dump holds a psql backslash command (shell, file or connection), which a drill never runs: " + error.message
            }
            error.message = "in database \(database): " + error.message
            return error
        }
    }
}

/// The dump's bytes: the file itself, or a decompressor's output.
final class DumpSource: @unchecked Sendable {
    // Read by one task at a time, in order.
    private let descriptor: Int32
    private let decompressor: Task<ToolResult?, Never>?
    private let tool: String?
    private let path: String

    private init(descriptor: Int32, decompressor: Task<ToolResult?, Never>?, tool: String?, path: String) {
        self.descriptor = descriptor
        self.decompressor = decompressor
        self.tool = tool
        self.path = path
    }

    static func open(path: String, compression: Compression) async throws -> DumpSource {
        guard let tool = compression.tool else {
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw RestoreError(.failure, step: "read plain dump", "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            return DumpSource(descriptor: descriptor, decompressor: nil, tool: nil, path: path)
        }
        return try open(producer: ToolInvocation(executable: tool, arguments: ["-dc", "--", path], displayName: "\(tool) -dc"), path: path)
    }

    /// The standard output of `producer` (a decompressor, `pg_restore -f -`), read as it runs.
    static func open(producer: ToolInvocation, path: String) throws -> DumpSource {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw RestoreError(.error, step: "decompress", "cannot create a pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(descriptors[0], F_SETFD, FD_CLOEXEC)
        var invocation = producer
        invocation.pipeOutput = descriptors[1]
        let task = Task { try? await ProcessRunner.run(invocation) }
        return DumpSource(descriptor: descriptors[0], decompressor: task, tool: producer.displayName, path: path)
    }

    /// Stops the decompressor.
    @Sendable func cancel() { decompressor?.cancel() }

    /// The next bytes; empty at the end.
    func read() async throws -> [UInt8] {
        let descriptor = self.descriptor
        return try await BlockingWork.run {
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                if count >= 0 { return Array(buffer.prefix(count)) }
                if errno != EINTR { throw RestoreError(.failure, step: "read plain dump", String(cString: strerror(errno))) }
            }
        }
    }

    /// Closes the source; returns a decompression failure (a damaged artifact), or nil.
    func close(stoppedEarly: Bool) async -> RestoreError? {
        Glibc.close(descriptor)
        guard let decompressor, let tool else { return nil }
        let result = await decompressor.value
        guard let result, !result.succeeded, !stoppedEarly || result.signal != SIGPIPE else { return nil }
        if stoppedEarly { return nil }
        return RestoreError(
            .failure, step: "decompress",
            "\(tool) cannot read \(path) to the end: \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)). The artifact is damaged or truncated.",
            detail: result.standardError)
    }
}

/// The stop actions of the processes a restore started, for cancellation.
final class RunningProcesses: Sendable {
    private let actions = Mutex<[@Sendable () -> Void]>([])
    func add(_ action: @escaping @Sendable () -> Void) { actions.withLock { $0.append(action) } }
    func cancelAll() { actions.withLock { $0 }.forEach { $0() } }
}
