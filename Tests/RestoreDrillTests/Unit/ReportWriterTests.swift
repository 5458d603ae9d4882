import DrillSupport
import DrillTestSupport
import Foundation
import Reports
import Testing

@Suite("Reports CI systems read")
struct ReportWriterTests {
    static func sample() -> DrillReport {
        DrillReport(
            drill: "unit <drill> & \"quotes\"", status: .failed, exitCode: 1, startedAt: Date(timeIntervalSince1970: 1_800_000_000),
            finishedAt: Date(timeIntervalSince1970: 1_800_000_012.5),
            backup: .init(location: "/b/app.dump", sha256: String(repeating: "a", count: 64), size: 10, format: "pg_dump/custom"),
            postgres: .init(version: "15.18", provisioner: "pg_ctl", database: "app"),
            measurements: .init(rtoSeconds: 12.5), targets: .init(rtoSeconds: 900, rpoSeconds: 86400),
            properties: ["drill.name": "unit", "backup.sha256": String(repeating: "a", count: 64)],
            suites: [
                ReportSuite(name: "verify", kind: .phase, seconds: 1.25, cases: [
                    ReportCase(name: "size matches", status: .passed, seconds: 0.5, output: "10 bytes"),
                    ReportCase(name: "sha256 matches", status: .failed, seconds: 0.75, message: "sha256 differs <bad> & \u{1}control", detail: "line1\nline2"),
                ]),
                ReportSuite(name: "checks.app", kind: .checks, seconds: 3, cases: [
                    ReportCase(name: "login", id: "app.login", status: .error, seconds: 1, message: "timed out"),
                    ReportCase(name: "skipped one", id: "app.skip", status: .skipped, message: "not applicable"),
                ]),
            ])
    }

    @Test func junitValidatesAgainstTheJenkinsSchema() async throws {
        let workspace = try TestWorkspace("junit")
        defer { workspace.remove() }
        try ReportWriter.write(Self.sample(), to: workspace.path)
        let problems = try await DrillCLI.schemaProblems(junit: workspace.file("junit.xml"))
        #expect(problems == nil)
        let xml = try String(contentsOfFile: workspace.file("junit.xml"), encoding: .utf8)
        #expect(xml.contains(#"<failure message="sha256 differs &lt;bad&gt; &amp; \#u{FFFD}control" type="failure">line1"#))
        #expect(xml.contains(#"<error message="timed out" type="error">"#))
        #expect(xml.contains(#"<testsuite name="restore-drill.checks.app" tests="2" failures="0" errors="1" skipped="1""#))
        #expect(xml.contains(#"<testsuites name="restore-drill: unit &lt;drill&gt; &amp; &quot;quotes&quot;" tests="4" failures="1" errors="1" time="12.500">"#))
    }

    @Test func jsonCarriesTheContractFields() throws {
        let data = try JSONEncoder.drill.encode(Self.sample())
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["schema_version", "drill", "status", "started_at", "backup", "postgres", "phases", "checks", "measurements", "targets"] {
            #expect(json[key] != nil, "report.json lacks \(key)")
        }
        let checks = try #require(json["checks"] as? [[String: Any]])
        #expect(checks.map { $0["id"] as? String } == ["app.login", "app.skip"])
        #expect((json["phases"] as? [[String: Any]])?.first?["status"] as? String == "failed")
    }

    @Test func markdownListsWhatWentWrong() {
        let markdown = MarkdownSummaryWriter.render(Self.sample())
        #expect(markdown.contains("# ❌ Restore drill"))
        #expect(markdown.contains("**failure** in `verify`, sha256 matches"))
        #expect(markdown.contains("**error** in `checks.app`, login: timed out"))
    }
}
