import DrillTestSupport
import Foundation
import Testing

/// The fixture application started as a service against the restored copy, checked over HTTP.
@Suite("Services under test and http checks", .serialized)
struct ServiceAndHTTPTests {
    /// The app gets its own copy in the workspace, so its processes can be told apart from other tests'.
    static func appCopy(_ sample: SampleDrill) throws -> String {
        let source = RepositoryPaths.root + "/fixtures/app/app.py"
        let copy = sample.workspace.file("app/app.py")
        try FileManager.default.createDirectory(atPath: sample.workspace.file("app"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        return copy
    }

    @Test func adminLogsInOverHTTPAndAWrongPasswordFails() async throws {
        var sample = try await SampleDrill.prepare("http-login")
        defer { sample.remove() }
        let app = try Self.appCopy(sample)
        sample.drill.services = ["- name: app", "  run: \(app)", "  ready: {url: /health}", "  start_timeout: 20s"]
        try sample.workspace.write(
            "http/wrong.yaml",
            """
            id: http.wrong-password-expects-200
            kind: http
            method: POST
            url: ${service.app.url}/login
            headers: {Content-Type: application/json}
            body: '{"email": "${admin_email|json}", "password": "wrong"}'
            expect: {status: 200}
            """)
        sample.drill.checks = [RepositoryPaths.checks + "/app-example", sample.workspace.file("http")]

        let run = try await sample.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let checks = try sample.report()["checks"] as? [[String: Any]] ?? []
        func check(_ id: String) -> [String: Any]? { checks.first { $0["id"] as? String == id } }
        #expect(check("app.http-admin-login")?["status"] as? String == "passed", "\(String(describing: check("app.http-admin-login")))")
        #expect(check("app.http-wrong-password-refused")?["status"] as? String == "passed")
        #expect(check("http.wrong-password-expects-200")?["status"] as? String == "failed")
        let message = check("http.wrong-password-expects-200")?["message"] as? String ?? ""
        #expect(message.hasPrefix("status 401, expected 200: "), "\(message)")
        // The login's answer is in the report: 200 and a session token.
        let login = try sample.cases(ofSuite: "checks.app-example").first { $0["id"] as? String == "app.http-admin-login" }
        let output = login?["output"] as? String ?? ""
        #expect(output.contains("→ 200") && output.contains("\"token\""), "\(output)")
        #expect(!output.contains(SampleBackupCache.adminPassword), "the admin password must be masked")
        // The drill failed, so the app's log is in the report; and the app is gone.
        let stopped = try sample.cases(ofSuite: "services-teardown").first
        let appLog = (stopped?["error_output"] as? String) ?? ""
        #expect(appLog.contains("POST /login"), "\(String(describing: stopped))")
        #expect(LiveProcesses.all().filter { $0.commandLine.contains(app) }.isEmpty)
    }

    @Test func aServiceThatNeverBecomesReadyIsAnErrorWithItsLog() async throws {
        var sample = try await SampleDrill.prepare("never-ready")
        defer { sample.remove() }
        let script = try sample.workspace.write("slow.sh", "#!/bin/sh\necho warming caches on port $PORT\nexec sleep 300\n")
        chmod(script, 0o755)
        sample.drill.services = ["- name: slow", "  run: \(script)", "  ready: {url: /health}", "  start_timeout: 2s"]

        let run = try await sample.run()

        #expect(run.exitCode == 3, "\(run.allOutput)")
        let services = try sample.cases(ofSuite: "services")
        #expect(services.first?["status"] as? String == "error")
        let message = services.first?["message"] as? String ?? ""
        #expect(message.contains("service slow did not become ready within 2.0s"), "\(message)")
        let log = (services.first?["error_output"] as? String) ?? ""
        #expect(log.contains("warming caches on port"), "\(log)")
        #expect(LiveProcesses.all().filter { $0.commandLine.contains(script) || $0.commandLine == "sleep 300 " }.isEmpty)
        #expect(sample.workspace.leftoverServerProcesses().isEmpty)
    }

    @Test func aServiceThatExitsIsReportedWithItsExitCode() async throws {
        var sample = try await SampleDrill.prepare("service-exits")
        defer { sample.remove() }
        let script = try sample.workspace.write("crash.sh", "#!/bin/sh\necho cannot read config >&2\nexit 4\n")
        chmod(script, 0o755)
        sample.drill.services = ["- name: crashy", "  run: \(script)", "  ready: {url: /health}"]

        let run = try await sample.run()

        #expect(run.exitCode == 3)
        let message = try sample.cases(ofSuite: "services").first?["message"] as? String ?? ""
        #expect(message.contains("exited with code 4 before it was ready"), "\(message)")
    }

    @Test func httpChecksOfAPackAreSkippedWithoutTheirService() async throws {
        let sample = try await SampleDrill.prepare("no-service")
        defer { sample.remove() }

        let run = try await sample.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let checks = try sample.report()["checks"] as? [[String: Any]] ?? []
        let http = checks.first { $0["id"] as? String == "app.http-admin-login" }
        #expect(http?["status"] as? String == "skipped")
        let reason = (http?["message"] as? String) ?? ""
        #expect(reason.contains("needs the service 'app'"), "\(reason)")
    }
}
