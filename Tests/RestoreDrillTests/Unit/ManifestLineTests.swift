import DrillSupport
import Foundation
@testable import Objects
import Testing

/// Manifest lines are written without JSONEncoder, byte for byte as it would write them.
@Suite("Manifest lines")
struct ManifestLineTests {
    static let keys = [
        "avatars/u1.png", "with \"quotes\" and \\ back", "tab\there\nnewline\r\u{08}\u{0C}\u{01}\u{1F}", "ünïcødé/😀.bin",
        "a/b/c/deep/path.txt", "",
    ]

    @Test(arguments: keys)
    func aLineIsWhatJSONEncoderWrites(key: String) throws {
        let encoder = JSONEncoder.drill
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for (etag, version) in [(nil, nil), ("\"9b2cf535f27731c974343645a3985328\"", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo")] as [(String?, String?)] {
            let entry = ManifestEntry(
                key: key, versionID: version, size: 123_456, sha256: String(repeating: "ab", count: 32), etag: etag,
                lastModified: Date(timeIntervalSince1970: 1_764_600_000.123456))
            var ours: [UInt8] = []
            entry.appendJSONLine(to: &ours)
            let theirs = Array(try encoder.encode(entry)) + [0x0A]
            #expect(ours == theirs, "\(String(decoding: ours, as: UTF8.self)) vs \(String(decoding: theirs, as: UTF8.self))")
            #expect(try JSONDecoder.drill.decode(ManifestEntry.self, from: Data(ours.dropLast())) == entry)
        }
    }

    /// The fast reader gives what JSONDecoder gives for every line the writer writes, and
    /// steps aside (nil) for any other form, which the index still reads with JSONDecoder.
    @Test(arguments: keys)
    func theFastReaderAgreesWithJSONDecoderOrStepsAside(key: String) throws {
        for (etag, version) in [(nil, nil), ("\"9b2c\"", "v/1+2")] as [(String?, String?)] {
            let entry = ManifestEntry(
                key: key, versionID: version, size: 42, sha256: String(repeating: "0f", count: 32), etag: etag,
                lastModified: Date(timeIntervalSince1970: 1_764_600_000.5))
            var line: [UInt8] = []
            entry.appendJSONLine(to: &line)
            line.removeLast()
            let fast = try #require(line.withUnsafeBytes { ManifestLineParser.parse($0) })
            let slow = try JSONDecoder().decode(IndexedLine.self, from: Data(line))
            #expect(fast.key == slow.key && fast.versionID == slow.versionID && fast.size == slow.size && fast.sha256 == slow.sha256)
            #expect(fast.lastModified == slow.lastModified)
        }
        let edited = [
            #"{ "key": "a", "last_modified": "2026-01-01T00:00:00Z", "sha256": "00", "size": 1 }"#,
            #"{"size":1,"key":"a","last_modified":"2026-01-01T00:00:00Z","sha256":"00"}"#,
            #"{"key":"caf\u00e9","last_modified":"2026-01-01T00:00:00Z","sha256":"00","size":1}"#,
            #"{"key":"a","last_modified":"2026-01-01T00:00:00Z","sha256":"00","size":007}"#,
        ]
        for text in edited {
            #expect(Array(text.utf8).withUnsafeBytes { ManifestLineParser.parse($0) } == nil, "\(text)")
        }
    }

    @Test func aDigestIsReadFromExactly64HexDigits() {
        let hex = "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978"
        #expect(Digest32(hex: hex)?.hex == hex)
        #expect(Digest32(hex: hex.uppercased()) == Digest32(hex: hex))
        #expect(Digest32(hex: String(hex.dropLast())) == nil)
        #expect(Digest32(hex: hex + "0") == nil)
        #expect(Digest32(hex: String(hex.dropLast()) + "g") == nil)
    }

    /// The folder walk finds what FileManager's enumerator finds: regular files at any depth,
    /// hidden ones too, no symbolic links and no folders.
    @Test func theFolderWalkFindsRegularFilesOnly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rdtest-walk-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for path in ["a/b/c", "empty", ".hidden"] { try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true) }
        for file in ["top.txt", "a/one.txt", "a/b/c/deep.txt", ".hidden/.dot", "a/b/two words.txt"] {
            try Data(file.utf8).write(to: URL(fileURLWithPath: root + "/" + file))
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/link.txt", withDestinationPath: root + "/top.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/linked-folder", withDestinationPath: root + "/a")
        let keys = FolderStore.regularFiles(under: root).map(\.key).sorted()
        #expect(keys == [".hidden/.dot", "a/b/c/deep.txt", "a/b/two words.txt", "a/one.txt", "top.txt"])
        #expect(FolderStore.regularFiles(under: root).first { $0.key == "a/one.txt" }?.size == 9)
    }
}
