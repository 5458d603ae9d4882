import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// `notify:` heartbeats against a loopback HTTP server that records what it is asked.
@Suite("Heartbeats", .serialized)
struct HeartbeatTests {
    /// A loopback server answering 200 to every GET and logging its path.
    struct CheckInServer {
        let endpoint: String
        let task: Task<Void, Never>
        let log: LineLog

        static func start() async throws -> CheckInServer {
            let port = FreePortForTests.pick()
            let script = """
                import http.server, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        print("GET " + self.path, flush=True)
                        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"OK")
                    def log_message(self, *a): pass
                print("ready", flush=True)
                http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
                """
            let log = LineLog()
            let invocation = ToolInvocation(
                executable: "python3", arguments: ["-c", script], displayName: "check-in server", onLine: { line, _ in log.append(line) },
                gracePeriod: .seconds(1))
            let task = Task { _ = try? await ProcessRunner.run(invocation) }
            let server = CheckInServer(endpoint: "http://127.0.0.1:\(port)", task: task, log: log)
            for _ in 0..<100 {
                if (try? await HTTPClientProbe.answers(server.endpoint + "/probe")) == true { return server }
                try await Task.sleep(for: .milliseconds(50))
            }
            await server.stop()
            throw TestSupportError("the check-in server did not start")
        }

        func stop() async {
            task.cancel()
            await task.value
        }
    }

    static let token = "hc-" + UUID().uuidString.lowercased()

    @Test func aPassingDrillChecksInAFailingOneReportsAndTheURLIsNeverShown() async throws {
        let server = try await CheckInServer.start()
        let sample = try await SampleDrill.prepare("heartbeat")
        defer { sample.remove() }
        let environment = SampleDrill.passwordEnvironment.merging([
            "HC_URL": "\(server.endpoint)/ping/\(Self.token)", "HC_FAIL_URL": "\(server.endpoint)/ping/\(Self.token)/fail",
        ]) { $1 }
        let notify = "notify:\n  on_success: env:HC_URL\n  on_failure: env:HC_FAIL_URL\n  timeout: 5s\n"
        _ = try sample.workspace.write("drill.yaml", sample.drill.yaml + notify)
        let passed = try await DrillCLI.run(["run", sample.workspace.file("drill.yaml")], workspace: sample.workspace, environment: environment)
        #expect(passed.exitCode == 0, "\(passed.allOutput)")
        #expect(server.log.text.split(separator: "\n").contains("GET /ping/\(Self.token)"), "\(server.log.text)")
        let sent = try sample.cases(ofSuite: "notify").first
        #expect(sent?["name"] as? String == "success heartbeat sent" && sent?["status"] as? String == "passed", "\(String(describing: sent))")

        // The same drill of a damaged backup: the failure URL, and the verdict stays a failure.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: sample.artifact))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: sample.artifact))
        let failed = try await DrillCLI.run(["run", sample.workspace.file("drill.yaml")], workspace: sample.workspace, environment: environment)
        #expect(failed.exitCode == 1, "\(failed.allOutput)")
        #expect(server.log.text.contains("GET /ping/\(Self.token)/fail"), "\(server.log.text)")

        // A heartbeat that cannot be sent: reported, the passing verdict untouched, no URL printed.
        await server.stop()
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: sample.artifact))
        let unsent = try await DrillCLI.run(["run", sample.workspace.file("drill.yaml")], workspace: sample.workspace, environment: environment)
        #expect(unsent.exitCode == 0, "\(unsent.allOutput)")
        let skipped = try sample.cases(ofSuite: "notify").first
        #expect(skipped?["status"] as? String == "skipped", "\(String(describing: skipped))")
        #expect((skipped?["message"] as? String)?.contains("the success heartbeat could not be sent") == true)
        #expect(unsent.standardError.contains("restore-drill: warning: the success heartbeat could not be sent"))
        for run in [passed, failed, unsent] {
            let reports = (try? FileManager.default.contentsOfDirectory(atPath: sample.reports)) ?? []
            let texts = [run.allOutput] + reports.map { (try? String(contentsOfFile: sample.reports + "/" + $0, encoding: .utf8)) ?? "" }
            #expect(!texts.contains { $0.contains(Self.token) }, "the heartbeat URL was printed")
        }
    }
}
