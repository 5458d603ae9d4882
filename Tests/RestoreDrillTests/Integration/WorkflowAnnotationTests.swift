import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// On GitHub Actions a failed drill's cases also become `::error` workflow commands on standard
/// output; elsewhere nothing of the kind is printed.
@Suite("GitHub Actions annotations")
struct WorkflowAnnotationTests {
    @Test func aFailedCheckIsAnErrorAnnotationOnGitHubActionsOnly() async throws {
        let sample = try await SampleDrill.prepare("annotations")
        defer { sample.remove() }
        let wrong = ["TEST_ADMIN_PASSWORD": "not-the-admin-password"]

        let onGitHub = try await sample.run(environment: wrong.merging(["GITHUB_ACTIONS": "true"]) { $1 })
        let elsewhere = try await sample.run(environment: wrong)

        #expect(onGitHub.exitCode == 1 && elsewhere.exitCode == 1, "\(onGitHub.allOutput)")
        let annotations = onGitHub.standardOutput.split(separator: "\n").filter { $0.hasPrefix("::error ") }
        #expect(annotations.count == 1, "\(onGitHub.standardOutput)")
        let line = String(annotations.first ?? "")
        #expect(line.hasPrefix("::error title=restore-drill test-drill%3A [checks.app-example] "), "\(line)")
        #expect(line.contains("::the admin cannot log in"), "\(line)")
        #expect(!line.contains("not-the-admin-password"))
        #expect(!elsewhere.standardOutput.contains("::error"), "\(elsewhere.standardOutput)")
    }
}
