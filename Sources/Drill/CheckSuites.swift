import Checks
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
                cases: items.map(reportCase))
        }
    }

    static func reportCase(_ result: CheckResult) -> ReportCase {
        let status: CaseStatus
        switch result.status {
        case .passed: status = .passed
        case .failed: status = .failed
        case .error: status = .error
        case .skipped: status = .skipped
        }
        return ReportCase(
            name: result.check.name, id: result.check.id, status: status, seconds: result.duration.seconds,
            message: result.message.isEmpty ? nil : result.message, output: result.observed.isEmpty ? nil : "observed: \(result.observed)")
    }
}
