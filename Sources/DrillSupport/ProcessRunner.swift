import Foundation
import Logging
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs external programs with swift-subprocess: no shell, bounded capture, its own session
/// (so signals reach the whole process tree), and SIGTERM then SIGKILL when cancelled.
public enum ProcessRunner {
    /// Logger for command lines at debug level (`--verbose`).
    public static let logger = Logger(label: "restore-drill.process")

    /// Runs `producer | consumer`: the producer's standard output feeds the consumer's standard
    /// input through a pipe (e.g. `zstd -dc dump.sql.zst | psql`), so nothing is staged on disk.
    public static func runPipeline(_ producer: ToolInvocation, into consumer: ToolInvocation) async throws
        -> (producer: ToolResult, consumer: ToolResult)
    {
        let pipe = try FileDescriptor.pipe()
        var producer = producer
        var consumer = consumer
        producer.pipeOutput = pipe.writeEnd.rawValue
        consumer.pipeInput = pipe.readEnd.rawValue
        return try await withThrowingTaskGroup(of: (Bool, ToolResult).self) { group in
            group.addTask { [producer] in (true, try await run(producer)) }
            group.addTask { [consumer] in (false, try await run(consumer)) }
            var results: [Bool: ToolResult] = [:]
            for try await (isProducer, result) in group { results[isProducer] = result }
            return (results[true]!, results[false]!)
        }
    }

    /// Runs `invocation` to completion. Cancellation of the calling task stops the program
    /// (and its children) before this returns.
    public static func run(_ invocation: ToolInvocation) async throws -> ToolResult {
        logger.debug("run: \(invocation.commandLine)")
        let start = ContinuousClock.now
        let stdoutCapture = OutputCapture(limit: invocation.captureLimit, stream: .standardOutput, onLine: invocation.onLine)
        let stderrCapture = OutputCapture(limit: invocation.captureLimit, stream: .standardError, onLine: invocation.onLine)
        let input = try openInput(invocation)
        let status: TerminationStatus
        let pid: Int32
        let started = Mutex<Int32?>(nil)
        // The teardown sequence ends when the program itself exits; children that ignore or
        // have not yet acted on SIGTERM would outlive it. Nothing of a cancelled run may survive.
        defer {
            if Task.isCancelled, let group = started.withLock({ $0 }) { kill(-group, SIGKILL) }
        }
        do {
            if invocation.outputFile != nil || invocation.pipeOutput != nil {
                let output = try invocation.pipeOutput.map { FileDescriptor(rawValue: $0) }
                    ?? openOutput(invocation.outputFile!, invocation: invocation)
                let result = try await Subprocess.run(
                    configuration(invocation), input: input,
                    output: .fileDescriptor(output, closeAfterSpawningProcess: true), error: .sequence
                ) { execution in
                    started.withLock { $0 = execution.processIdentifier.value }
                    invocation.onStart?(execution.processIdentifier.value)
                    try await stderrCapture.consume(execution.standardError)
                    return ()
                }
                (status, pid) = (result.terminationStatus, result.processIdentifier.value)
            } else {
                let result = try await Subprocess.run(
                    configuration(invocation), input: input, output: .sequence, error: .sequence
                ) { execution in
                    started.withLock { $0 = execution.processIdentifier.value }
                    invocation.onStart?(execution.processIdentifier.value)
                    async let out: Void = stdoutCapture.consume(execution.standardOutput)
                    async let err: Void = stderrCapture.consume(execution.standardError)
                    _ = try await (out, err)
                    return ()
                }
                (status, pid) = (result.terminationStatus, result.processIdentifier.value)
            }
        } catch let error as SubprocessError {
            try Task.checkCancellation()
            throw ToolLaunchError(tool: invocation.displayName, executable: invocation.executable, reason: "\(error)")
        }
        var result = ToolResult(
            exitCode: nil, signal: nil, standardOutput: stdoutCapture.text, standardError: stderrCapture.text,
            truncated: stdoutCapture.truncated || stderrCapture.truncated, duration: ContinuousClock.now - start,
            processID: pid)
        switch status {
        case .exited(let code): result.exitCode = code
        case .signaled(let signal): result.signal = signal
        }
        logger.debug("\(invocation.displayName) \(result.terminationDescription) after \(DrillDuration.format(result.duration))")
        try Task.checkCancellation()
        return result
    }

    private static func configuration(_ invocation: ToolInvocation) -> Configuration {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: invocation.gracePeriod)
        ]
        var environment = invocation.inherit.base()
        var program = invocation.executable
        var arguments = invocation.arguments
        if let user = invocation.user, OSUser.isRoot, user.uid != 0 {
            environment["USER"] = user.name
            environment["LOGNAME"] = user.name
            // setpriv changes the ids after exec, in a process with one thread. Changing them in
            // the forked child (setgroups between fork and exec) can wait forever on glibc's
            // broadcast to threads that only the parent had: a drill hung in a spawn.
            let setpriv = DrillSandbox.dropPrivileges(to: user)
            let target = program.contains("/") ? program : (ExecutableLookup.find(program) ?? program)
            arguments = Array(setpriv.dropFirst()) + [target] + arguments
            program = setpriv[0]
        }
        for (key, value) in invocation.environment { environment[key] = value }
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        return Configuration(
            executable: executable,
            arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })),
            workingDirectory: invocation.workingDirectory.map { FilePath($0) },
            platformOptions: options)
    }

    private static func openInput(_ invocation: ToolInvocation) throws -> FileDescriptorInput {
        if let pipeInput = invocation.pipeInput {
            return .fileDescriptor(FileDescriptor(rawValue: pipeInput), closeAfterSpawningProcess: true)
        }
        let path: String
        switch invocation.input {
        case .none: path = "/dev/null"
        case .file(let file): path = file
        }
        do {
            return .fileDescriptor(try FileDescriptor.open(FilePath(path), .readOnly), closeAfterSpawningProcess: true)
        } catch {
            throw ToolLaunchError(tool: invocation.displayName, executable: invocation.executable, reason: "cannot open \(path): \(error)")
        }
    }

    private static func openOutput(_ path: String, invocation: ToolInvocation) throws -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        } catch {
            throw ToolLaunchError(tool: invocation.displayName, executable: invocation.executable, reason: "cannot write \(path): \(error)")
        }
    }
}

/// Keeps the last `limit` bytes of a stream and hands complete lines to a callback.
final class OutputCapture: Sendable {
    private struct State {
        var kept: [UInt8] = []
        var dropped = false
        var pendingLine: [UInt8] = []
    }

    private let limit: Int
    private let stream: ToolInvocation.Stream
    private let onLine: (@Sendable (String, ToolInvocation.Stream) -> Void)?
    private let state = Mutex(State())

    init(limit: Int, stream: ToolInvocation.Stream, onLine: (@Sendable (String, ToolInvocation.Stream) -> Void)?) {
        self.limit = limit
        self.stream = stream
        self.onLine = onLine
    }

    func consume(_ sequence: SubprocessOutputSequence) async throws {
        for try await buffer in sequence {
            let bytes = buffer.withUnsafeBytes { Array($0) }
            append(bytes)
        }
        flushPendingLine()
    }

    private func append(_ bytes: [UInt8]) {
        var lines: [String] = []
        state.withLock { state in
            state.kept.append(contentsOf: bytes)
            if state.kept.count > limit {
                state.kept.removeFirst(state.kept.count - limit)
                state.dropped = true
            }
            guard onLine != nil else { return }
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    lines.append(String(decoding: state.pendingLine, as: UTF8.self))
                    state.pendingLine.removeAll(keepingCapacity: true)
                } else if state.pendingLine.count < 64 * 1024 {
                    state.pendingLine.append(byte)
                }
            }
        }
        for line in lines { onLine?(line, stream) }
    }

    private func flushPendingLine() {
        let last: String? = state.withLock { state in
            defer { state.pendingLine.removeAll() }
            return state.pendingLine.isEmpty ? nil : String(decoding: state.pendingLine, as: UTF8.self)
        }
        if let last { onLine?(last, stream) }
    }

    var text: String { state.withLock { String(decoding: $0.kept, as: UTF8.self) } }
    var truncated: Bool { state.withLock { $0.dropped } }
}
