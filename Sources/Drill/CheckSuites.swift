import Checks
import DrillSupport
import Foundation
import Reports

/// Turns check results into one report suite per pack, in the order packs first appear.
enum CheckSuites {
    static func suites(from results: [CheckResult]) -> [ReportSuite] {
        var order: [String] = []
        var byPack: [String: [CheckResult]] = [:]
        for result in results {
            if byPack[result.check.pack] == nil { order.append(result.check.pack) }
            byPack[result.check.pack, default: []].append(result)
        }
        return order.map { pack in
            let items = byPack[pack] ?? []
            return ReportSuite(
                name: "checks.\(pack)", kind: .checks, seconds: items.map { $0.duration.seconds }.max() ?? 0,
                cases: items.flatMap(reportCases))
        }
    }

    /// One case per check; a command check that printed TAP gives one case per TAP test instead
    /// (plus one for a bail-out or a plan the tests did not match).
    static func reportCases(_ result: CheckResult) -> [ReportCase] {
        guard let tap = result.tap, !tap.tests.isEmpty || tap.bailOut != nil else { return [reportCase(result)] }
        var cases = tap.tests.map { test -> ReportCase in
            let status: CaseStatus = test.outcome == .passed ? .passed : (test.outcome == .failed ? .failed : .skipped)
            let label = test.description.isEmpty ? "test \(test.number)" : test.description
            return ReportCase(
                name: "\(result.check.name): \(label)", id: "\(result.check.id)#\(test.number)", status: status,
                message: status == .passed ? nil : (test.directive ?? "not ok \(test.number) \(label)"),
                detail: test.diagnostics.isEmpty ? nil : SecretMasker.shared.mask(test.diagnostics))
        }
        if result.status == .error || !tap.problems.isEmpty {
            cases.append(
                ReportCase(
                    name: "\(result.check.name): TAP stream", id: "\(result.check.id)#stream",
                    status: result.status == .error ? .error : .failed, message: result.message))
        }
        cases[0].seconds = result.duration.seconds
        cases[0].output = result.standardOutput.isEmpty ? nil : result.standardOutput
        cases[0].errorOutput = result.standardError.isEmpty ? nil : result.standardError
        return cases
    }

    static func reportCase(_ result: CheckResult) -> ReportCase {
        let status: CaseStatus
        switch result.status {
        case .passed: status = .passed
        case .failed: status = .failed
        case .error: status = .error
        case .skipped: status = .skipped
        }
        var item = ReportCase(
            name: result.check.name, id: result.check.id, status: status, seconds: result.duration.seconds,
            message: result.message.isEmpty ? nil : result.message,
            output: result.observed.isEmpty ? (result.standardOutput.isEmpty ? nil : result.standardOutput) : "observed: \(result.observed)")
        item.errorOutput = result.standardError.isEmpty ? nil : result.standardError
        return item
    }
}
