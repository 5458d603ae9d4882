import DrillSupport
import Foundation

/// Runs checks concurrently (bounded), each on its own connection with its own timeout,
/// and returns the results in definition order so reports are stable.
public enum CheckRunner {
    /// Runs `checks`; `onFinish` is called as each one ends (progress lines). A check starts once
    /// the checks it runs `after` have passed; when one of them did not pass, it is skipped.
    public static func run(
        _ checks: [CheckDefinition], context: CheckContext, onFinish: (@Sendable (CheckResult) -> Void)? = nil
    ) async -> [CheckResult] {
        var results = [CheckResult?](repeating: nil, count: checks.count)
        let index = Dictionary(checks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        await withTaskGroup(of: (Int, CheckResult).self) { group in
            var running = 0
            var started = Set<Int>()
            func launchReady() {
                var progress = true
                while progress {
                    progress = false
                    for (position, check) in checks.enumerated() where !started.contains(position) {
                        let dependencies = check.after.compactMap { index[$0] }
                        guard dependencies.allSatisfy({ results[$0] != nil }) else { continue }
                        if let blocker = dependencies.first(where: { results[$0]?.status != .passed }) {
                            started.insert(position)
                            let skipped = CheckResult(
                                check: check, status: .skipped, duration: .zero,
                                message: "not run: it runs after \(checks[blocker].id), which \(results[blocker]!.status == .skipped ? "was skipped" : "did not pass")",
                                observed: "")
                            results[position] = skipped
                            onFinish?(skipped)
                            progress = true
                            continue
                        }
                        guard running < max(1, context.concurrency), !Task.isCancelled else { continue }
                        started.insert(position)
                        running += 1
                        group.addTask { (position, await runOne(check, context: context)) }
                    }
                }
            }
            launchReady()
            for await (position, result) in group {
                running -= 1
                results[position] = result
                onFinish?(result)
                launchReady()
            }
        }
        return checks.indices.map { position in
            results[position] ?? CheckResult(check: checks[position], status: .skipped, duration: .zero, message: "not run: the drill was interrupted", observed: "")
        }
    }

    /// Runs one check under its timeout. On timeout a query is cancelled server-side, a
    /// command's process group is killed.
    public static func runOne(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let start = ContinuousClock.now
        let stopped = { () -> String in
            switch check.kind {
            case .command: return "its process group was killed"
            case .http: return "the request was abandoned"
            default: return "the query was cancelled on the server"
            }
        }()
        var result = await withTaskGroup(of: CheckResult?.self) { group in
            group.addTask { await evaluate(check, context: context) }
            group.addTask {
                try? await Task.sleep(for: check.timeout)
                guard !Task.isCancelled else { return nil }
                return CheckResult(
                    check: check, status: .error, duration: .zero,
                    message: "timed out after \(DrillDuration.format(check.timeout)); \(stopped)", observed: "")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // Wait for the cancelled side so no query or process outlives its check.
            while await group.next() != nil {}
            return first ?? CheckResult(check: check, status: .error, duration: .zero, message: "the check was interrupted", observed: "")
        }
        result.duration = ContinuousClock.now - start
        if result.status == .failed, let custom = check.failureMessage { result.message = "\(custom) (\(result.message))" }
        result.message = SecretMasker.shared.mask(result.message)
        result.observed = SecretMasker.shared.mask(result.observed)
        return result
    }

    static func evaluate(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let outcome: (CheckStatus, String, String)
        switch check.kind {
        case .command(let spec): return await CommandCheckRunner.run(check, spec: spec, context: context)
        case .sql(let spec), .freshness(let spec): outcome = await SQLCheckRunner.run(check, spec: spec, context: context)
        case .tables(let spec): outcome = await TablesCheckRunner.run(spec, context: context)
        case .integrity(let spec): outcome = await IntegrityCheckRunner.run(check, spec: spec, context: context)
        case .login(let spec): outcome = await LoginCheckRunner.run(spec, context: context)
        case .importRows(let spec): outcome = await ImportCheckRunner.run(check, spec: spec, context: context)
        case .http(let spec): outcome = await HTTPCheckRunner.run(check, spec: spec, context: context)
        }
        return CheckResult(check: check, status: outcome.0, duration: .zero, message: outcome.1, observed: outcome.2)
    }
}
