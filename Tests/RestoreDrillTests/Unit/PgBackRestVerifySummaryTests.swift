@testable import Drill
import Testing

/// pgBackRest 2.45's `verify` exits 0 with damage found: its summary is the verdict.
@Suite("pgbackrest verify summary")
struct PgBackRestVerifySummaryTests {
    static let damaged = """
        2026-12-01 19:19:45.706 P01   INFO: invalid checksum '20261201-191940F/pg_data/global/pg_control.gz'
        2026-12-01 19:19:45.808 P00   INFO: stanza: drill
                                            status: error
                                              archiveId: 15-1, total WAL checked: 4, total valid WAL: 3
                                                checksum invalid: 1
                                              backup: 20261201-191940F, status: invalid, total files checked: 968, total valid files: 967
                                                checksum invalid: 1
                                              backup: 20261202-010000F, status: valid, total files checked: 968, total valid files: 968
        2026-12-01 19:19:45.808 P00   INFO: verify command end: completed successfully (357ms)
        """

    @Test func damageIsFoundInTheChosenSetAndInTheWAL() {
        let summary = PgBackRestVerifySummary(lines: Self.damaged.split(separator: "\n").map(String.init))
        #expect(summary.stanzaStatus == "error")
        #expect(summary.invalidSets == ["20261201-191940F (invalid)"])
        #expect(summary.invalidWAL == ["archive 15-1: 1 of 4 WAL file(s) invalid"])
        #expect(summary.problem(for: "20261201-191940F") == "backup set 20261201-191940F (invalid); archive 15-1: 1 of 4 WAL file(s) invalid")
        // Another set's damage does not fail a drill of a valid set, but damaged WAL does.
        #expect(summary.problem(for: "20261202-010000F") == "archive 15-1: 1 of 4 WAL file(s) invalid")
    }

    @Test func aCleanRepositoryHasNoProblem() {
        let clean = "INFO: stanza: drill\n    status: ok\n      archiveId: 15-1, total WAL checked: 4, total valid WAL: 4\n      backup: 20261201-191940F, status: valid, total files checked: 968, total valid files: 968"
        let summary = PgBackRestVerifySummary(lines: clean.split(separator: "\n").map(String.init))
        #expect(summary.stanzaStatus == "ok" && summary.problem(for: "20261201-191940F") == nil)
    }
}
