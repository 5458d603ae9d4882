import Foundation
import Recovery

/// Command-line choices that override or complete the drill file.
public struct DrillOptions: Sendable {
    /// `--reports DIR`.
    public var reportsDirectory: String?
    /// `--jobs N`.
    public var jobs: Int?
    /// `--keep`: leave the restored server running.
    public var keep: Bool
    /// Directories searched for check packs by name, in order, after the drill file's own `checks/`.
    public var checkSearchPaths: [String]
    /// `--target-time` and friends: replaces the drill file's recovery target.
    public var targetOverride: RecoveryTargetKind?
    /// `--only`: run only checks with these ids, tags or packs.
    public var only: [String] = []
    /// `--skip`: leave out checks with these ids, tags or packs.
    public var skip: [String] = []
    /// `--history DIR`: where every run's record is appended (else the drill file's `reports.history`, else `REPORTS/history`).
    public var historyDirectory: String?

    /// Creates options.
    public init(
        reportsDirectory: String? = nil, jobs: Int? = nil, keep: Bool = false, checkSearchPaths: [String] = [],
        targetOverride: RecoveryTargetKind? = nil
    ) {
        self.targetOverride = targetOverride
        self.reportsDirectory = reportsDirectory
        self.jobs = jobs
        self.keep = keep
        self.checkSearchPaths = checkSearchPaths
    }
}
