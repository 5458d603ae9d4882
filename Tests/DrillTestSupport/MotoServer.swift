import DrillSupport
import Foundation
import HTTPClient
import Provisioning
import Synchronization

/// A real S3-compatible server for the tests: moto_server on 127.0.0.1 and a free port, in its
/// own process group, stopped when the test's body ends (and killed at exit if a test crashed).
public final class MotoServer: Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let task: Task<Void, Never>
    private let group: StartedGroup

    private init(port: Int, task: Task<Void, Never>, group: StartedGroup) {
        self.port = port
        self.task = task
        self.group = group
    }

    /// Kills the server's process group at once (for synchronous cleanups).
    public func terminate() {
        if let pid = group.pid { kill(-pid, SIGKILL) }
        task.cancel()
    }

    /// The credentials the fixture script and the drill use while moto does not check signatures.
    public static let environment = ["AWS_ACCESS_KEY_ID": "fixture", "AWS_SECRET_ACCESS_KEY": "fixture-secret"]

    /// Runs `body` with a fresh server. `authActions`: moto checks signatures after that many
    /// unauthenticated requests (INITIAL_NO_AUTH_ACTION_COUNT), enough to create an IAM user.
    /// `recording`: moto writes every request it answers to that file, one JSON line each
    /// (MOTO_ENABLE_RECORDING), so a test can count the writes that reached the store.
    public static func with<T: Sendable>(authActions: Int? = nil, recording: String? = nil, _ body: (MotoServer) async throws -> T) async throws -> T {
        let server = try await start(authActions: authActions, recording: recording)
        do {
            let value = try await body(server)
            await server.stop()
            return value
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts a server the caller stops (`stop()` or `terminate()`).
    public static func start(authActions: Int? = nil, recording: String? = nil) async throws -> MotoServer {
        guard let program = findInPath("moto_server") else {
            throw TestSupportError("moto_server is not installed: scripts/bootstrap installs it (pip install 'moto[server]')")
        }
        let port = FreePort.pick()
        var environment = ["PYTHONUNBUFFERED": "1"]
        if let authActions { environment["INITIAL_NO_AUTH_ACTION_COUNT"] = String(authActions) }
        if let recording {
            environment["MOTO_ENABLE_RECORDING"] = "True"
            environment["MOTO_RECORDER_FILEPATH"] = recording
        }
        var invocation = ToolInvocation(
            executable: program, arguments: ["-H", "127.0.0.1", "-p", String(port)], environment: environment, displayName: "moto_server",
            captureLimit: 16 * 1024, gracePeriod: .seconds(2))
        let group = StartedGroup()
        invocation.onStart = { pid in
            LeftoverGroups.shared.add(pid)
            group.set(pid)
        }
        let task = Task { _ = try? await ProcessRunner.run(invocation) }
        let server = MotoServer(port: port, task: task, group: group)
        // Bounded wait: 100 probes, 100 ms apart.
        for _ in 0..<100 {
            if let answer = try? await HTTPClient.send(HTTPRequest(url: server.endpoint + "/", timeout: .seconds(2))), answer.status < 500 {
                return server
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await server.stop()
        throw TestSupportError("moto_server did not answer on \(server.endpoint) within 10 s")
    }

    /// Stops the server's process group.
    public func stop() async {
        task.cancel()
        await task.value
    }

    /// Runs the fixture script against this server (`s3fixture.py COMMAND ARGS...`); returns its output.
    @discardableResult
    public func fixture(_ arguments: [String], accessKey: String = "fixture", secretKey: String = "fixture-secret") async throws -> String {
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: "python3",
                arguments: [RepositoryPaths.root + "/fixtures/objects/s3fixture.py", "--endpoint", endpoint, "--access-key", accessKey, "--secret-key", secretKey]
                    + arguments, captureLimit: 4 << 20))
        guard result.succeeded else { throw TestSupportError("s3fixture \(arguments.joined(separator: " ")): \(result.standardError)") }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The requests in a moto recording, in order: method and path.
public enum MotoRecording {
    public static func requests(_ path: String) -> [(method: String, path: String)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return ((object["method"] as? String) ?? "?", (object["url"] as? String) ?? "?")
        }
    }
}

/// The full path of `name` on PATH, or nil.
public func findInPath(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// The process group of a started helper, filled in once it runs.
final class StartedGroup: Sendable {
    private let value = Mutex<Int32?>(nil)
    func set(_ pid: Int32) { value.withLock { $0 = pid } }
    var pid: Int32? { value.withLock { $0 } }
}

/// Process groups of helper servers, killed when the test process exits.
final class LeftoverGroups: Sendable {
    static let shared = LeftoverGroups()
    private let groups = Mutex<[Int32]>([])

    private init() {
        atexit { for group in LeftoverGroups.shared.groups.withLock({ $0 }) { kill(-group, SIGKILL) } }
    }

    func add(_ group: Int32) { groups.withLock { $0.append(group) } }
}

/// A free loopback port for helper servers started by tests.
public enum FreePortForTests {
    public static func pick() -> Int { FreePort.pick() }
}

/// Whether something answers HTTP at a URL (any status).
public enum HTTPClientProbe {
    public static func answers(_ url: String) async throws -> Bool {
        (try? await HTTPClient.send(HTTPRequest(url: url, timeout: .seconds(1), connectTimeout: .milliseconds(500)))) != nil
    }
}
