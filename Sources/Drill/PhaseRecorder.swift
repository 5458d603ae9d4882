import Checks
import DrillSupport
import Foundation
import Provisioning
import Recovery
import Reports
import Restore

/// Stops the pipeline after a phase recorded why it cannot go on.
struct PhaseAborted: Error {}

/// Collects report suites as phases run, timing each and turning thrown errors into cases.
final class PhaseRecorder: @unchecked Sendable {
    // Used from one task at a time (the drill's own), in order.
    private(set) var suites: [ReportSuite] = []
    private(set) var usageError = false
    let progress: any DrillProgress

    init(progress: any DrillProgress) { self.progress = progress }

    /// Runs one phase; `body` appends cases. A thrown error becomes a case of the phase and aborts the drill.
    func phase<T>(_ name: String, _ body: (inout ReportSuite) async throws -> T) async throws -> T {
        try Task.checkCancellation()
        progress.phaseStarted(name)
        let start = ContinuousClock.now
        var suite = ReportSuite(name: name, kind: .phase)
        defer {
            suite.seconds = (ContinuousClock.now - start).seconds
            let problem = suite.cases.first { $0.status == .failed || $0.status == .error }
            progress.phaseFinished(name, status: suite.status, seconds: suite.seconds, message: problem?.message)
            suites.append(suite)
        }
        do {
            let value = try await body(&suite)
            if suite.cases.contains(where: { $0.status == .failed || $0.status == .error }) { throw PhaseAborted() }
            return value
        } catch let error as PhaseAborted {
            throw error
        } catch {
            if Task.isCancelled || error is CancellationError {
                suite.cases.append(ReportCase(name: "\(name) interrupted", status: .error, seconds: (ContinuousClock.now - start).seconds, message: "the drill was interrupted (SIGINT, SIGTERM or SIGHUP) during \(name)"))
                throw CancellationError()
            }
            suite.cases.append(Self.reportCase(for: error, phase: name, seconds: (ContinuousClock.now - start).seconds))
            if DrillExitCode(for: error) == .usage { usageError = true }
            throw PhaseAborted()
        }
    }

    /// Adds a suite that was built elsewhere (check packs).
    func append(_ suite: ReportSuite) { suites.append(suite) }

    static func reportCase(for error: any Error, phase: String, seconds: Double) -> ReportCase {
        switch error {
        case let error as RestoreError:
            return ReportCase(name: error.step, status: error.kind == .failure ? .failed : .error, seconds: seconds, message: error.message, detail: error.detail.isEmpty ? nil : error.detail)
        case let error as ConfigError:
            return ReportCase(name: "drill file is valid", status: .error, seconds: seconds, message: error.description)
        case let error as ProvisionError:
            return ReportCase(name: error.code.rawValue, status: .error, seconds: seconds, message: error.message)
        default:
            return ReportCase(name: phase, status: .error, seconds: seconds, message: SecretMasker.shared.mask("\(error)"))
        }
    }
}
