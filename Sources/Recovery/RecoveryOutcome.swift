import Foundation
import Restore

/// Where recovery stopped, read from the server itself.
public struct RecoveryOutcome: Sendable {
    /// True when the server recovered to the target and was promoted.
    public var reached: Bool
    /// Why not, in words, when not reached.
    public var cause: String?
    /// The last commit replayed (`pg_last_xact_replay_timestamp()`, else the log).
    public var lastCommitTime: Date?
    /// The WAL position after promotion.
    public var endLSN: LSN?
    /// The timeline the copy now runs on.
    public var timeline: UInt32?
    /// PostgreSQL's own line about where it stopped.
    public var stoppingLine: String?
    /// How long replay took, from start to promotion.
    public var duration: Duration
    /// The copy's bootstrap superuser, when none of the known names existed and the drill read it itself.
    public var foundSuperuser: String?
}
