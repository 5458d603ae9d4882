import DrillSupport
import Foundation
import Testing

@testable import Objects

/// The compact forms a million keys need (a packed listing, a sorted manifest index, a folder
/// walk in key order, a merge join) give the answers the dictionaries they replace gave.
@Suite("Compact listings and the merge join")
struct CompactListingTests {
    static let awkwardKeys = [
        "a", "a-b", "a.txt", "a/b", "a/b/c", "a0", "A", "é/x", "e", "z z", "dir/", "x\"y", "tab\tkey", "ünïcødé/ファイル",
    ]

    @Test func aListingGivesBackEveryFieldAsItWasAppended() throws {
        let base = Date(timeIntervalSince1970: 1_795_557_900.25)
        let versions = Self.awkwardKeys.enumerated().map { index, key in
            ObjectVersion(
                key: key, versionID: index % 3 == 0 ? nil : (index % 3 == 1 ? "" : "v\(index)"), size: Int64(index * 1000),
                etag: index % 2 == 0 ? nil : String(repeating: "ab", count: 16), lastModified: base.addingTimeInterval(Double(index)),
                isDeleteMarker: index % 5 == 0, isLatest: index % 4 != 0)
        }
        let listing = try ObjectListing(versions)
        let expected = versions.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        #expect(Array(listing) == expected)
        for (position, version) in expected.enumerated() {
            #expect(listing.position(ofKey: version.key) == position)
        }
        #expect(listing.position(ofKey: "a/") == nil && listing.position(ofKey: "") == nil && listing.position(ofKey: "zzz") == nil)
        var shorter = listing
        shorter.removeLast()
        #expect(Array(shorter) == Array(expected.dropLast()))
        try shorter.append(expected.last!)
        #expect(Array(shorter) == expected)
        #expect(throws: ObjectStoreError.self) {
            var tooLong = ObjectListing()
            try tooLong.append(ObjectVersion(key: String(repeating: "k", count: 70_000), versionID: nil, size: 0, etag: nil, lastModified: base))
        }
    }

    /// Keys sort by UTF-8 bytes as S3 lists them: a folder's files fall where "name/" falls
    /// among its siblings ("a-b" and "a.txt" before "a/b", "a0" after).
    @Test func theFolderWalkYieldsKeysInByteOrderWithoutSorting() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rdtest-walk-order-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = ["a-b", "a.txt", "a/b", "a/b-c/d", "a/b.c", "a0", "A", "é/x", "e", "z z", "dir/inner/file", "x\"y", "ünïcødé/ファイル"]
        for file in files {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.utf8).write(to: URL(fileURLWithPath: path))
        }
        let walked = FolderWalk(root: root)
        var keys: [String] = []
        while true {
            let page = walked.next(3)
            if page.isEmpty { break }
            keys += page.map(\.key)
        }
        #expect(keys == files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// The merge join against the dictionary comparison it replaced, over random stores and
    /// manifests: the same missing, extra, changed and matched keys, a manifest out of order
    /// and a key recorded twice (its last line counts) included.
    @Test func theMergeJoinFindsWhatADictionaryComparisonFinds() async throws {
        var random = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("rdtest-join-\(round)-\(UUID().uuidString.prefix(6))").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            var stored: [String: String] = [:]
            for index in 0..<Int.random(in: 20...120, using: &random) {
                let key = ["p", "p/q", "p-q", "r"].randomElement(using: &random)! + "/\(index % 7)-\(Int.random(in: 0...50, using: &random))"
                stored[key] = "content \(key) \(index)"
            }
            for (key, content) in stored {
                let path = root + "/" + key
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            }
            // The manifest: most keys right, some changed in bytes or size, some absent, some invented.
            var recorded: [String: (size: Int64, sha: String)] = [:]
            var lines: [ManifestEntry] = []
            for (key, content) in stored where Int.random(in: 0..<10, using: &random) > 0 {
                var bytes = content
                switch Int.random(in: 0..<10, using: &random) {
                case 0: bytes = String(content.reversed())
                case 1: bytes = content + "!"
                default: break
                }
                recorded[key] = (Int64(bytes.utf8.count), Self.sha256(bytes))
            }
            for index in 0..<Int.random(in: 0...8, using: &random) { recorded["p/gone-\(index)"] = (3, Self.sha256("old")) }
            for (key, value) in recorded {
                lines.append(ManifestEntry(key: key, versionID: nil, size: value.size, sha256: value.sha, etag: nil, lastModified: Date()))
            }
            // A key recorded twice, the first line stale: the last line is the one compared.
            if let twice = recorded.keys.sorted().first {
                lines.insert(ManifestEntry(key: twice, versionID: nil, size: 1, sha256: Self.sha256("stale"), etag: nil, lastModified: Date()), at: 0)
            }
            let manifestPath = root + ".jsonl"
            defer { try? FileManager.default.removeItem(atPath: manifestPath) }
            var text = ""
            for line in lines.shuffled(using: &random) {
                var bytes: [UInt8] = []
                line.appendJSONLine(to: &bytes)
                text += String(decoding: bytes, as: UTF8.self)
            }
            if let twice = recorded.keys.sorted().first {
                var bytes: [UInt8] = []
                ManifestEntry(key: twice, versionID: nil, size: recorded[twice]!.size, sha256: recorded[twice]!.sha, etag: nil, lastModified: Date())
                    .appendJSONLine(to: &bytes)
                text += String(decoding: bytes, as: UTF8.self)
            }
            try text.write(toFile: manifestPath, atomically: true, encoding: .utf8)

            let index = try ManifestIndex.read(path: manifestPath)
            #expect(index.count == recorded.count)
            let result = try await ObjectVerification.verify(store: FolderStore(root: root), manifest: index, at: nil, shard: nil, parallel: 4)
            var expected: [String] = []
            for (key, content) in stored {
                guard let entry = recorded[key] else {
                    expected.append("extra \(key)")
                    continue
                }
                if entry.size != Int64(content.utf8.count) || entry.sha != Self.sha256(content) { expected.append("changed \(key)") }
            }
            for key in recorded.keys where stored[key] == nil { expected.append("missing \(key)") }
            #expect(result.findings.map { "\($0.category.rawValue) \($0.key)" }.sorted() == expected.sorted(), "round \(round)")
            #expect(result.matched == stored.keys.filter { recorded[$0] != nil }.count - expected.filter { $0.hasPrefix("changed") }.count)
            let order = result.findings.map { "\(ObjectVerification.Category.allCases.firstIndex(of: $0.category)!) \($0.key)" }
            #expect(order == order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "findings come by category, then key")
        }
    }

    static func sha256(_ text: String) -> String {
        var digest = StreamingDigest()
        digest.update(Data(text.utf8))
        return digest.finalizeHex()
    }
}
