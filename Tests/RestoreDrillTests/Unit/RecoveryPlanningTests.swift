import DrillSupport
import Foundation
import Recovery
import Restore
import Testing

@Suite("Recovery targets, backup choice and WAL ranges")
struct RecoveryPlanningTests {
    static func backup(_ name: String, start: String, stop: String, stopTime: String) -> BaseBackup {
        BaseBackup(
            directory: "/backups/\(name)", layout: .tar(.none), manifestPath: nil,
            label: BackupLabel(startLSN: LSN(start)!, checkpointLSN: nil, startTime: nil, timeline: 1, label: name, takenFrom: "primary"),
            majorVersion: 15, stopLSN: LSN(stop), stopTime: TimestampText.parse(stopTime), size: 1)
    }

    static let catalog = [
        backup("monday", start: "0/2000028", stop: "0/2000100", stopTime: "2026-11-23T02:00:00Z"),
        backup("tuesday", start: "0/9000028", stop: "0/9000100", stopTime: "2026-11-24T02:00:00Z"),
    ]

    @Test func theNewestBackupFinishedBeforeTheTargetIsChosen() throws {
        let between = RecoveryTarget(kind: .time(TimestampText.parse("2026-11-23T14:05:00Z")!))
        #expect(try BackupSelection.choose(Self.catalog, for: between).backup.name == "monday")
        let after = RecoveryTarget(kind: .time(TimestampText.parse("2026-11-24T14:05:00Z")!))
        #expect(try BackupSelection.choose(Self.catalog, for: after).backup.name == "tuesday")
        #expect(try BackupSelection.choose(Self.catalog, for: RecoveryTarget(kind: .lsn(LSN("0/5000000")!))).backup.name == "monday")
    }

    // Regression: stop times are known to the second. A backup "finished at 02:00:00" may have
    // finished at 02:00:00.9, after a target at 02:00:00.5; restoring it cannot go back in time.
    @Test func aBackupFinishingInTheTargetsSecondIsNotChosen() throws {
        let target = RecoveryTarget(kind: .time(TimestampText.parse("2026-11-24T02:00:00.5Z")!))
        #expect(try BackupSelection.choose(Self.catalog, for: target).backup.name == "monday")
    }

    @Test func aTargetBeforeEveryBackupIsAnErrorNotTheNewest() {
        let target = RecoveryTarget(kind: .time(TimestampText.parse("2026-11-01T00:00:00Z")!))
        #expect(throws: SelectionError.self) { try BackupSelection.choose(Self.catalog, for: target) }
    }

    @Test(arguments: [
        ("2026-11-24T14:05:00Z", "2026-11-24 14:05:00.000000+00"),
        ("2026-11-24T14:05:00.25+01:00", "2026-11-24 13:05:00.250000+00"),
        ("2026-11-24 14:05:00+02", "2026-11-24 12:05:00.000000+00"),
        ("2026-11-24 14:05:00 UTC", "2026-11-24 14:05:00.000000+00"),
    ])
    func timesAreWrittenTheWayRecoveryTargetTimeAcceptsThem(input: String, setting: String) throws {
        let date = try #require(TimestampText.parse(input))
        #expect(RecoveryTarget(kind: .time(date)).settings["recovery_target_time"] == setting)
    }

    // Regression: ISO8601DateFormatter keeps milliseconds only; a target microseconds after a
    // commit was truncated to before it and recovery stopped one transaction early.
    @Test func microsecondsSurviveParsingAndWriting() throws {
        let date = try #require(TimestampText.parse("2026-11-24 18:45:01.881734+00"))
        #expect(TimestampText.postgres(date) == "2026-11-24 18:45:01.881734+00")
        #expect(date > TimestampText.parse("2026-11-24T18:45:01.8817Z")!)
    }

    @Test func aTimeWithoutAZoneIsRefusedRatherThanGuessed() {
        #expect(TimestampText.parse("2026-11-24 14:05:00") == nil)
    }

    @Test func segmentNamesFollowLSNs() {
        let segment = WALSegmentName(timeline: 1, containing: LSN("1/2A000028")!)
        #expect(segment.description == "00000001000000010000002A")
        #expect(WALSegmentName("00000001000000010000002A") == segment)
        #expect(segment.next.description == "00000001000000010000002B")
        #expect(WALSegmentName("000000010000000000000002.00000028.backup") == nil)
    }

    @Test func recoveryLogLinesAreRead() {
        let log = RecoveryLog.parse(
            """
            2026-11-24 18:22:14.555 UTC [1] LOG:  recovery stopping before commit of transaction 728, time 2026-11-24 18:22:05.262177+00
            2026-11-24 18:22:14.555 UTC [1] LOG:  redo done at 0/3001F78 system usage: CPU: user: 0.00 s
            2026-11-24 18:22:14.555 UTC [1] LOG:  last completed transaction was at log time 2026-11-24 18:22:04.218084+00
            2026-11-24 18:22:14.583 UTC [1] LOG:  selected new timeline ID: 2
            restore-drill: WAL file 000000010000000000000004 is not in the WAL archive
            """)
        #expect(log.stoppingLine == "recovery stopping before commit of transaction 728, time 2026-11-24 18:22:05.262177+00")
        #expect(log.redoDone == LSN("0/3001F78"))
        #expect(log.newTimeline == 2)
        #expect(log.lastCompletedTransaction == TimestampText.parse("2026-11-24 18:22:04.218084+00"))
        #expect(log.firstAbsentSegment?.description == "000000010000000000000004")
    }
}
