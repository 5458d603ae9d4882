import Foundation
import Restore
import Testing

@Suite("Artifact formats and headers")
struct ArtifactDetectionTests {
    @Test func detectsCompressionByMagicBytes() {
        #expect(Compression.detect(magic: [0x1f, 0x8b, 0x08]) == .gzip)
        #expect(Compression.detect(magic: [0x28, 0xb5, 0x2f, 0xfd, 0]) == .zstd)
        #expect(Compression.detect(magic: [0x04, 0x22, 0x4d, 0x18]) == .lz4)
        #expect(Compression.detect(magic: Array("PGDMP".utf8)) == .none)
    }

    @Test func detectsDumpFormats() {
        #expect(DumpFormat.detect(head: Array("PGDMP\u{1}\u{e}".utf8)) == .custom)
        var tar = [UInt8](repeating: 0, count: 512)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        #expect(DumpFormat.detect(head: tar) == .tar)
        #expect(DumpFormat.detect(head: Array("--\n-- PostgreSQL database dump\n--\n".utf8)) == .plain)
        #expect(DumpFormat.detect(head: Array("hello, not a dump".utf8)) == nil)
    }

    @Test func readsTheArchiveHeaderOfPgRestoreList() {
        let list = """
            ;
            ; Archive created at 2026-11-24 17:01:02 UTC
            ;     dbname: app
            ;     TOC Entries: 30
            ;     Compression: -1
            ;     Dump Version: 1.14-0
            ;     Format: CUSTOM
            ;     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)
            ;     Dumped by pg_dump version: 15.18 (Debian 15.18-0+deb12u1)
            ;
            ; Selected TOC Entries:
            ;
            3; 2615 16385 SCHEMA - app postgres
            215; 1259 16386 TABLE app users postgres
            """
        let header = DumpInspector.parseTOCHeader(list)
        #expect(header.database == "app")
        #expect(header.serverVersion == "15.18")
        #expect(header.tocEntries == 2)
        #expect(header.createdAt == ISO8601DateFormatter().date(from: "2026-11-24T17:01:02Z"))
    }

    @Test func readsThePlainDumpHeader() {
        let header = DumpInspector.parsePlainHeader("--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 14.9\n-- Dumped by pg_dump version 15.18\n")
        #expect(header.serverVersion == "14.9")
    }
}
