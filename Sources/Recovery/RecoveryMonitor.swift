import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Restore

/// Starts a restored data directory in recovery and follows it to the end: progress while it
/// replays, then the outcome from the server (`pg_is_in_recovery()`, replay position, the
/// last replayed commit, the timeline) and its log, never from "the port is open".
public enum RecoveryMonitor {
    /// Recovers `server` to `target`, reading WAL from `archive` with the drill's restore_command
    /// (or `restoreScript`, a source's own: it must exit 1 only for an absent file, as ours does).
    /// Bootstrap superuser names tried, in order, when the drill file does not name one.
    public static let superuserCandidates = ["postgres", "restore_drill", "supabase_admin", "rdsadmin", "cloudsqladmin", "azure_pg_admin"]

    public static func recover(
        server: any RecoverableServer, target: RecoveryTarget, archive: WALArchive, preflight: WALPreflight, restoreScript: String? = nil,
        timeout: Duration, superusers: [String], findSuperuser: Bool = true, progress: @escaping @Sendable (String) -> Void
    ) async throws -> RecoveryOutcome {
        let start = ContinuousClock.now
        let script = server.root + "/wal-fetch.sh"
        let text = restoreScript ?? RestoreCommandScript.text(archive: server.walArchivePath(for: archive.directory))
        try ScratchDirectory.writePrivateFile(script, contents: text, owner: server.serverUser)
        chmod(script, server.serverReadsAsOther ? 0o755 : 0o700)
        try ScratchDirectory.writePrivateFile(server.dataDirectory + "/recovery.signal", contents: "", owner: server.serverUser)
        var settings = target.settings
        settings["restore_command"] = "\(script) %f %p"

        progress("replaying WAL \(preflight.first) … \(preflight.last) (\(preflight.segmentCount) segments, \(ByteCount(preflight.bytesToFetch)))")
        let launch = try await server.launch(settings: settings, timeout: timeout)
        let deadline = start + timeout
        var promoted = false
        var foundSuperuser: String?
        if launch.succeeded || server.isRunning {
            let search = SuperuserSearch(candidates: superusers, findBootstrap: findSuperuser, restartSettings: settings)
            promoted = try await waitForPromotion(server: server, search: search, deadline: deadline, preflight: preflight, progress: progress)
            foundSuperuser = search.found
        }
        // A container's log streams in through `logs --follow`: the lines that say where recovery
        // stopped may arrive after the promotion the drill saw. Wait for them (bounded).
        if promoted { await waitForLog(server, containing: ["archive recovery complete", "selected new timeline ID"]) }
        let log = RecoveryLog.parse(server.serverLog())
        var outcome = RecoveryOutcome(reached: false, duration: ContinuousClock.now - start)
        outcome.foundSuperuser = foundSuperuser
        outcome.stoppingLine = log.stoppingLine
        outcome.lastCommitTime = log.lastCompletedTransaction
        outcome.timeline = log.newTimeline
        outcome.endLSN = log.redoDone
        if promoted {
            try await readPromotedState(server: server, into: &outcome)
            let cause = unreachedCause(target: target, log: log, archive: archive, timeline: preflight.first.timeline, promoted: true)
            outcome.reached = cause == nil
            outcome.cause = cause
        } else {
            if ContinuousClock.now >= deadline && server.isRunning {
                throw RestoreError(
                    .error, step: "recovery timeout",
                    "recovery did not finish within \(DrillDuration.format(timeout)) (recovery.timeout); last log lines:\n\(server.recentLog(lines: 8))")
            }
            outcome.cause = unreachedCause(target: target, log: log, archive: archive, timeline: preflight.first.timeline, promoted: false)
                ?? "the server stopped during recovery: \(log.fatalLines.last ?? server.recentLog(lines: 3))"
        }
        return outcome
    }

    static func waitForLog(_ server: any RecoverableServer, containing markers: [String]) async {
        for _ in 0..<100 {
            let log = server.serverLog()
            if markers.contains(where: log.contains) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Polls until the server leaves recovery (true), dies (false) or the deadline passes (false).
    static func waitForPromotion(
        server: any RecoverableServer, search: SuperuserSearch, deadline: ContinuousClock.Instant, preflight: WALPreflight,
        progress: @Sendable (String) -> Void
    ) async throws -> Bool {
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            guard server.isRunning else { return false }
            if case .searching = search.state { search.state = try await chooseSuperuser(server: server, candidates: search.candidates) }
            if case .noneOf(let missing) = search.state {
                guard search.findBootstrap else { throw noSuperuser(missing) }
                // No known name to connect as: follow recovery in the log, then ask the stopped copy.
                let log = RecoveryLog.parse(server.serverLog())
                if let reason = log.pauseReason { throw RestoreError(.error, step: "recovery paused", "recovery paused instead of finishing: \(reason)") }
                if log.acceptsConnections {
                    progress("the copy has none of the roles \(missing.joined(separator: ", ")); reading its bootstrap superuser with a standalone backend")
                    let role = try await server.restartAsBootstrapSuperuser(settings: search.restartSettings, timeout: deadline - ContinuousClock.now)
                    search.found = role
                    search.state = .chosen
                    progress("connecting as \(role), the restored cluster's bootstrap superuser")
                }
            }
            if case .chosen = search.state, let session = try? await PostgresConnection.connect(server.connection) {
                defer { session.close() }
                let state: QueryResult
                do {
                    // pg_get_wal_replay_pause_state() raises an error once recovery is over.
                    state = try await session.query(
                        """
                        SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, ''),
                               CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() ELSE '' END
                        """)
                } catch {
                    guard error.code == .queryFailed else { continue }
                    throw RestoreError(.error, step: "recovery progress", "cannot read the recovery state from the server: \(error)")
                }
                if state.bool() == false { return true }
                if state.value(column: 2) == "paused" {
                    let reason = RecoveryLog.parse(server.serverLog()).pauseReason ?? "recovery paused"
                    throw RestoreError(.error, step: "recovery paused", "recovery paused instead of finishing: \(reason)")
                }
                if let replayed = state.value(column: 1).flatMap({ LSN($0) }) {
                    progress("replayed to \(replayed) (archive ends in segment \(preflight.last))")
                }
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        return false
    }

    /// Finds a role of the restored cluster to connect as: `.searching` while the server does not
    /// accept connections yet, `.noneOf` when it does but none of the candidates exists.
    static func chooseSuperuser(server: any RecoverableServer, candidates: [String]) async throws -> SuperuserSearch.State {
        var missing: [String] = []
        for role in candidates {
            server.useSuperuser(role)
            do {
                let session = try await PostgresConnection.connect(server.connection)
                session.close()
                return .chosen
            } catch {
                guard error.message.contains("role \"\(role)\" does not exist") else { return .searching }
                missing.append(role)
            }
        }
        return .noneOf(missing)
    }

    static func noSuperuser(_ missing: [String]) -> RestoreError {
        RestoreError(
            .error, step: "connect to the restored cluster",
            "the restored cluster has none of the roles \(missing.joined(separator: ", ")); set recovery.superuser to one of its superusers")
    }

    static func readPromotedState(server: any RecoverableServer, into outcome: inout RecoveryOutcome) async throws {
        let session = try await PostgresConnection.connect(server.connection)
        defer { session.close() }
        let state = try await session.query(
            "SELECT pg_last_xact_replay_timestamp()::text, pg_current_wal_lsn()::text, (SELECT timeline_id FROM pg_control_checkpoint())")
        if let text = state.value(), let time = TimestampText.parse(text) { outcome.lastCommitTime = time }
        if let lsn = state.value(column: 1).flatMap({ LSN($0) }) { outcome.endLSN = lsn }
        if outcome.timeline == nil, let timeline = state.value(column: 2).flatMap({ UInt32($0) }) { outcome.timeline = timeline }
    }

    /// Why the target was not reached, or nil when it was.
    static func unreachedCause(target: RecoveryTarget, log: RecoveryLog, archive: WALArchive, timeline: UInt32, promoted: Bool) -> String? {
        if let failure = log.readFailure {
            return "a WAL file could not be read from the archive (it exists, so this is not the end of the archive): \(failure). Recovery was aborted rather than ended early."
        }
        if let absent = log.firstAbsentSegment, let last = archive.lastSegment(fromTimeline: absent.timeline), last.number > absent.number {
            return "WAL segment \(absent) is missing from the archive (\(archive.directory)), which continues to \(last): recovery cannot pass it. Check the archiver on the primary or choose an earlier target."
        }
        // Replay that ended (no stop line) in a segment before the archive's last stopped at a damaged record.
        if log.stoppingLine == nil, let redo = log.redoDone, let last = archive.lastSegment(fromTimeline: timeline) {
            let stopped = WALSegmentName(timeline: last.timeline, containing: redo, segmentSize: last.segmentSize)
            if stopped.number < last.number {
                return "replay stopped at \(redo) in segment \(stopped.description.suffix(16)), but the archive continues to \(last): a WAL record there is damaged, so the copy would lack what follows"
            }
        }
        switch target.kind {
        case .latest, .immediate:
            return nil
        case .time, .lsn, .xid, .name:
            if promoted && log.stoppingLine != nil { return nil }
            let lastCommit = log.lastCompletedTransaction.map { " at \(TimestampText.postgres($0))" } ?? ""
            switch target.kind {
            case .time(let time):
                return "target \(TimestampText.postgres(time)) was not reached: it is after the last archived commit\(lastCommit)"
            case .lsn(let lsn):
                return "target LSN \(lsn) was not reached: replay ended at \(log.redoDone?.description ?? "an earlier position") (end of the archive)"
            default:
                return "\(target) was not reached before the end of the archive (last replayed commit\(lastCommit.isEmpty ? " unknown" : lastCommit)); it may not exist, or predate the chosen base backup"
            }
        }
    }
}

/// Which role recovery connects as, and how it was found. Only the monitor's loop touches it.
final class SuperuserSearch: @unchecked Sendable {
    enum State { case searching, chosen, noneOf([String]) }
    let candidates: [String]
    /// False when the drill file named `recovery.superuser`: a wrong name is the user's to fix.
    let findBootstrap: Bool
    /// The settings the copy was started with, for starting it again.
    let restartSettings: [String: String]
    var state = State.searching
    /// The bootstrap superuser read with a standalone backend, when none of the candidates existed.
    var found: String?

    init(candidates: [String], findBootstrap: Bool, restartSettings: [String: String]) {
        self.candidates = candidates
        self.findBootstrap = findBootstrap
        self.restartSettings = restartSettings
    }
}
