import Reports

/// The one rule that turns what a run found into its verdict, for a drill, for `objects verify`
/// and for `report merge` alike: interrupted beats everything; then a mistake in what the user
/// wrote; then any failed case (the backup is not good enough); then any error (the harness
/// could not tell); and only a run with none of these passed. Skipped cases never pass a run
/// on their own: a run whose every case was skipped, or that has none, proved nothing.
public enum DrillVerdict {
    /// The exit code for `cases`.
    public static func exitCode(for cases: [ReportCase], interrupted: Bool = false, usageError: Bool = false) -> DrillExitCode {
        if interrupted { return .interrupted }
        if usageError { return .usage }
        if cases.contains(where: { $0.status == .failed }) { return .failed }
        if cases.contains(where: { $0.status == .error }) { return .harness }
        if !cases.contains(where: { $0.status == .passed }) { return .harness }
        return .passed
    }

    /// The report status an exit code stands for.
    public static func status(for code: DrillExitCode) -> DrillReport.Status {
        switch code {
        case .passed: .passed
        case .failed: .failed
        default: .error
        }
    }
}
