import DrillSupport
import Foundation
import HTTPClient
import PostgresClient
import Synchronization

/// A started service: its process (in its own process group), its port and the tail of its log.
public final class RunningService: Sendable {
    /// Lines of output kept for the report.
    static let logLines = 200

    public let definition: ServiceDefinition
    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }
    private let task: Task<ToolResult?, Never>
    private let state: ServiceState

    private init(definition: ServiceDefinition, port: Int, task: Task<ToolResult?, Never>, state: ServiceState) {
        self.definition = definition
        self.port = port
        self.task = task
        self.state = state
    }

    /// Starts `definition` with the restored server in its environment and waits until it is
    /// ready. Throws `ServiceError` (with the log) when it exits or is not ready in time; the
    /// process is then already stopped.
    public static func start(_ definition: ServiceDefinition, port: Int, context: CheckContext) async throws(ServiceError) -> RunningService {
        let variables = context.variables
        var environment: [String: String]
        do {
            let additions = Dictionary(definition.environment.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            environment = try context.programEnvironment(adding: additions)
        } catch {
            throw ServiceError(service: definition.name, message: "cannot build its environment: \(error)", log: "")
        }
        environment["DATABASE_URL"] = context.connection.url
        environment["PORT"] = String(port)
        let state = ServiceState()
        let invocation = context.contained(
            ToolInvocation(
                executable: definition.program, arguments: definition.arguments, environment: environment,
                workingDirectory: definition.workingDirectory, displayName: "service \(definition.name)", captureLimit: 64 * 1024,
                onLine: { line, _ in state.append(line) }))
        let task = Task<ToolResult?, Never> {
            var result: ToolResult?
            do {
                result = try await ProcessRunner.run(invocation)
            } catch is CancellationError {
                result = nil
            } catch {
                state.append("[restore-drill] \(error)")
            }
            state.end(result)
            return result
        }
        let service = RunningService(definition: definition, port: port, task: task, state: state)
        do throws(ServiceError) {
            try await service.waitUntilReady(variables: variables)
        } catch {
            _ = await service.stop()
            throw error
        }
        return service
    }

    /// True while the process has not ended.
    public var isRunning: Bool { !state.hasEnded }

    /// The last lines it printed (both streams, secrets masked).
    public var logTail: String { state.text }

    /// Probes readiness every 200 ms until `startTimeout`.
    func waitUntilReady(variables: [String: String]) async throws(ServiceError) {
        let deadline = ContinuousClock.now + definition.startTimeout
        var lastProblem = "no answer yet"
        var scoped = variables
        scoped["service.\(definition.name).url"] = url
        scoped["service.\(definition.name).port"] = String(port)
        while ContinuousClock.now < deadline {
            if Task.isCancelled { throw ServiceError(service: definition.name, message: "start was interrupted", log: logTail) }
            if !isRunning {
                let how = state.exit.map { $0.terminationDescription } ?? "could not be started"
                throw ServiceError(service: definition.name, message: "\(definition.program) \(how) before it was ready", log: logTail)
            }
            switch await probe(variables: scoped) {
            case .success: return
            case .failure(let problem): lastProblem = problem.message
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        throw ServiceError(
            service: definition.name,
            message: "did not become ready within \(DrillDuration.format(definition.startTimeout)) (last probe: \(lastProblem))", log: logTail)
    }

    private func probe(variables: [String: String]) async -> Result<Void, ServiceError> {
        let fail = { (message: String) in Result<Void, ServiceError>.failure(ServiceError(service: self.definition.name, message: message, log: "")) }
        switch definition.readiness {
        case .url(let template):
            let rendered: String
            do { rendered = try template.render(variables) } catch { return fail("\(error)") }
            let target = rendered.hasPrefix("/") ? url + rendered : rendered
            do {
                let response = try await HTTPClient.send(HTTPRequest(url: target, timeout: .seconds(2), connectTimeout: .seconds(1)), bodyLimit: 4096)
                return (200..<300).contains(response.status) ? .success(()) : fail("GET \(target) answered \(response.status)")
            } catch {
                return fail(error.message)
            }
        case .command(let program, let arguments):
            do {
                let result = try await ProcessRunner.run(
                    ToolInvocation(executable: program, arguments: arguments, workingDirectory: definition.workingDirectory, displayName: "readiness of \(definition.name)"))
                return result.succeeded ? .success(()) : fail("\(program) \(result.terminationDescription)")
            } catch {
                return fail("\(error)")
            }
        }
    }

    /// Stops the process group (SIGTERM, then SIGKILL after the grace period) and waits for it.
    /// Returns how it ended; nil when it could not be started.
    @discardableResult
    public func stop() async -> ToolResult? {
        task.cancel()
        return await task.value
    }
}

/// A service that could not be started or did not become ready.
public struct ServiceError: Error, CustomStringConvertible, Sendable {
    public var service: String
    public var message: String
    /// The tail of its output.
    public var log: String
    public var description: String { "service \(service) \(message)" }
}

/// What a service's process task and the drill share: its log tail and how it ended.
final class ServiceState: Sendable {
    private let lines = Mutex<[String]>([])
    private let ending = Mutex<(ended: Bool, result: ToolResult?)>((false, nil))

    func append(_ line: String) {
        let masked = SecretMasker.shared.mask(line)
        lines.withLock { lines in
            lines.append(masked)
            if lines.count > RunningService.logLines { lines.removeFirst(lines.count - RunningService.logLines) }
        }
    }

    func end(_ result: ToolResult?) { ending.withLock { $0 = (true, result) } }

    var hasEnded: Bool { ending.withLock { $0.ended } }
    var exit: ToolResult? { ending.withLock { $0.result } }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}
