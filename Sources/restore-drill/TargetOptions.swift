import DrillSupport
import ArgumentParser
import Recovery
import Restore

/// `--target-*` options: recover a physical backup to another point than the drill file's, for post-incident drills.
struct TargetOptions: ParsableArguments {
    @Option(name: .customLong("target-time"), help: "Recover to this time, with its zone (2026-11-24T14:05:00Z, 2026-11-24 14:05:00+01).")
    var time: String?
    @Option(name: .customLong("target-lsn"), help: "Recover to this WAL location (0/3000028).") var lsn: String?
    @Option(name: .customLong("target-xid"), help: "Recover to this transaction id.") var xid: UInt64?
    @Option(name: .customLong("target-name"), help: "Recover to this restore point (pg_create_restore_point).") var name: String?
    @Flag(name: .customLong("target-immediate"), help: "Stop as soon as the base backup is consistent.") var immediate = false
    @Flag(name: .customLong("latest"), help: "Replay to the end of the WAL archive.") var latest = false

    /// The chosen target, nil when none was given; throws when more than one was.
    func kind() throws -> RecoveryTargetKind? {
        var kinds: [RecoveryTargetKind] = []
        if let time {
            guard let date = TimestampText.parse(time) else {
                throw ValidationError("--target-time '\(time)' is not a time with its zone; write e.g. 2026-11-24T14:05:00Z")
            }
            kinds.append(.time(date))
        }
        if let lsn {
            guard let value = LSN(lsn) else { throw ValidationError("--target-lsn '\(lsn)' is not an LSN such as 0/3000028") }
            kinds.append(.lsn(value))
        }
        if let xid { kinds.append(.xid(xid)) }
        if let name { kinds.append(.name(name)) }
        if immediate { kinds.append(.immediate) }
        if latest { kinds.append(.latest) }
        guard kinds.count <= 1 else { throw ValidationError("give at most one of --target-time, --target-lsn, --target-xid, --target-name, --target-immediate, --latest") }
        return kinds.first
    }
}
