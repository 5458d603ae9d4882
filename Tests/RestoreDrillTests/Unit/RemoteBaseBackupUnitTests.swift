@testable import Drill
import Foundation
import Objects
import Restore
import Testing

@Suite("Base backups in a bucket: keys, WAL versions, manifests")
struct RemoteBaseBackupUnitTests {
    @Test func aKeyThatLeavesTheBackupFolderRefusesTheBackup() throws {
        let objects = ["base/b1/base.tar", "base/b1/pg_tblspc/../../../../etc/cron.d/x"].map {
            StoredArtifact(name: ($0 as NSString).lastPathComponent, reference: $0, size: 1, modified: Date())
        }
        #expect(throws: RestoreError.self) {
            _ = try DrillRunner.items(objects, keyPrefix: "base/b1/", store: LocalBackupLocation(), into: "/tmp/fetch")
        }
        let fine = try DrillRunner.items(Array(objects.prefix(1)), keyPrefix: "base/b1/", store: LocalBackupLocation(), into: "/tmp/fetch")
        #expect(fine.map(\.folder) == ["/tmp/fetch"])
        #expect(!RelativeKey.isSafe("/etc/passwd") && !RelativeKey.isSafe("a/./b") && RelativeKey.isSafe("base/1/1259"))
    }

    @Test func theWALPageMagicNamesTheMajorVersion() {
        #expect(WALPageMagic.majorVersion(header: Data([0x10, 0xD1])) == 15)
        #expect(WALPageMagic.majorVersion(header: Data([0x13, 0xD1, 0x02, 0x00])) == 16)
        // gzip's magic, as a compressed segment starts: not a version.
        #expect(WALPageMagic.majorVersion(header: Data([0x1F, 0x8B])) == nil)
        #expect(WALPageMagic.majorVersion(header: Data([0x10])) == nil)
    }

    @Test func theManifestGivesWhereTheBackupsWALStartsAndEnds() {
        // A backup taken from a standby that switched timeline while it ran: newest range first.
        let manifest = """
            {"PostgreSQL-Backup-Manifest-Version": 1, "Files": [],
             "WAL-Ranges": [{"Timeline": 2, "Start-LSN": "0/3000000", "End-LSN": "0/3000100"},
                            {"Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/3000000"}]}
            """
        let wal = BaseBackup.manifestWAL(Data(manifest.utf8))
        #expect(wal == BaseBackup.ManifestWAL(startLSN: LSN("0/2000028")!, timeline: 1, endLSN: LSN("0/3000100")!))
        #expect(BaseBackup.manifestWAL(Data("{}".utf8)) == nil)
    }
}
