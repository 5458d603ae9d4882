import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// `report.html`: self-contained (no script, nothing fetched), the drill at a glance, a phase
/// timeline, the checks and, once there is history, RTO and RPO over time; rendered by a real
/// browser (headless Chromium) with no console message at all.
@Suite("HTML report", .serialized)
struct HTMLReportTests {
    /// Renders `page` in headless Chromium: the screenshot's path and the console lines the page caused.
    static func render(_ page: String, workspace: TestWorkspace, name: String, height: Int = 2600) async throws -> (screenshot: String, console: [String], run: DrillCLI.Run) {
        let shot = workspace.file("\(name).png")
        let run = try await DrillCLI.runProgram(
            "chromium",
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + workspace.file("chromium-\(name)"),
                "--screenshot=" + shot, "--window-size=1100,\(height)", "--enable-logging=stderr", "--v=0", "file://" + page,
            ], workspace: workspace)
        let console = run.standardError.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (shot, console, run)
    }

    @Test func threeRunsMakeAPageWithATimelineAndATrendThatABrowserRendersCleanly() async throws {
        let sample = try await SampleDrill.prepare("html")
        defer { sample.remove() }
        for _ in 0..<3 {
            let run = try await sample.run()
            #expect(run.exitCode == 0, "\(run.allOutput)")
        }
        let path = sample.reports + "/report.html"
        let page = try String(contentsOfFile: path, encoding: .utf8)
        let report = try sample.report()
        for phase in (report["phases"] as? [[String: Any]] ?? []).compactMap({ $0["name"] as? String }) {
            #expect(page.contains(">\(phase)</text>"), "phase \(phase) on the timeline")
        }
        for check in (report["checks"] as? [[String: Any]] ?? []).compactMap({ $0["id"] as? String }) {
            #expect(page.contains("<code>\(check)</code>"), "check \(check) listed")
        }
        #expect(page.contains("PASSED: the backup restored and every check passed"))
        #expect(page.contains("<h2>Over time</h2><p>3 runs, 3 passed"), "the history of three runs")
        #expect(page.components(separatedBy: "<circle").count - 1 == 6, "three RTO and three RPO points")
        // Self-contained: no script, nothing to fetch, and a policy that would block it anyway.
        #expect(!page.contains("<script") && page.range(of: #"(src|href)\s*="#, options: .regularExpression) == nil)
        #expect(page.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        #expect(!page.contains(SampleDrill.passwordEnvironment["TEST_ADMIN_PASSWORD"]!))

        let rendered = try await Self.render(path, workspace: sample.workspace, name: "report")
        #expect(rendered.run.exitCode == 0, "\(rendered.run.allOutput.suffix(2000))")
        #expect(rendered.console.isEmpty, "console messages: \(rendered.console)")
        let size = (try? FileManager.default.attributesOfItem(atPath: rendered.screenshot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "a screenshot of \(size) bytes")
        print("html-report: screenshot \(rendered.screenshot) (\(size) bytes)")

        // The console check can fail: the same browser reports a page that tries to fetch.
        let control = try sample.workspace.write(
            "control.html", page.replacingOccurrences(of: "<footer>", with: "<img src=\"http://127.0.0.2:9/tracker.png\"><footer>"))
        let blocked = try await Self.render(control, workspace: sample.workspace, name: "control", height: 600)
        #expect(blocked.console.contains { $0.contains("Content Security Policy") }, "\(blocked.console)")
    }

    @Test func aFailedDrillSaysWhatWentWrongAndTextIsEscaped() async throws {
        let sample = try await SampleDrill.prepare("html-failed")
        defer { sample.remove() }
        let run = try await sample.run(environment: ["TEST_ADMIN_PASSWORD": "<b>not-the-admin-password</b>"])
        #expect(run.exitCode == 1, "\(run.allOutput)")
        let page = try String(contentsOfFile: sample.reports + "/report.html", encoding: .utf8)
        #expect(page.contains("<header class=\"failed\">") && page.contains("<h2>What went wrong</h2>"))
        #expect(!page.contains("<b>not-the-admin-password</b>") && !page.contains("not-the-admin-password"), "the secret is masked, never markup")
        #expect(!page.contains("<h2>Over time</h2>"), "one run: no trend yet")
    }
}
