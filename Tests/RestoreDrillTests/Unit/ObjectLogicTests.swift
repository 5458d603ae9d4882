import DrillSupport
import Foundation
import HTTPClient
@testable import Objects
import Testing

@Suite("Object store logic: XML, as-of choice, manifests, shards, catalog keys")
struct ObjectLogicTests {
    @Test func xmlAnswersParseAndMalformedOnesAreRefused() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType>
              <Version><Key>a%20b&amp;c</Key><ETag>&quot;5d41&quot;</ETag><Size>5</Size><Owner/></Version>
              <DeleteMarker><Key>x&#233;&#x263A;</Key></DeleteMarker>
            </ListVersionsResult>
            """
        let root = try #require(XMLNode.parse(Data(text.utf8)))
        #expect(root.name == "ListVersionsResult")
        #expect(root.value("EncodingType") == "url")
        #expect(root.child("Version")?.value("Key") == "a%20b&c")
        #expect(root.child("Version")?.value("ETag") == "\"5d41\"")
        #expect(root.child("DeleteMarker")?.value("Key") == "xé☺")
        for broken in ["<a><b></a></b>", "<a>", "text<a/>", "<a/><b/>", "<a>&bogus;</a>", "<a x=\"unterminated></a>", "", "<a></a>trailing"] {
            #expect(XMLNode.parse(Data(broken.utf8)) == nil, "\(broken)")
        }
    }

    /// AWS lists a key's versions and delete markers interleaved, newest first; moto lists all
    /// versions, then all markers. The choice must not depend on that order.
    @Test func theVersionAtThePointIsTheSameWhateverTheListingOrder() async throws {
        let base = Date(timeIntervalSince1970: 1_795_557_900)
        func at(_ seconds: Double) -> Date { base.addingTimeInterval(seconds) }
        let versions = [
            ObjectVersion(key: "a", versionID: "a3", size: 3, etag: nil, lastModified: at(30), isLatest: true),
            ObjectVersion(key: "a", versionID: "a1", size: 1, etag: nil, lastModified: at(10), isLatest: false),
            ObjectVersion(key: "a", versionID: "a2-marker", size: 0, etag: nil, lastModified: at(20), isDeleteMarker: true, isLatest: false),
            ObjectVersion(key: "b", versionID: "b1", size: 1, etag: nil, lastModified: at(5), isLatest: false),
            ObjectVersion(key: "b", versionID: "b-marker", size: 0, etag: nil, lastModified: at(40), isDeleteMarker: true, isLatest: true),
            ObjectVersion(key: "c", versionID: "c1", size: 1, etag: nil, lastModified: at(50), isLatest: true),
        ]
        let versionsFirst: [ObjectVersion] = versions.filter { !$0.isDeleteMarker } + versions.filter { $0.isDeleteMarker }
        let reversed: [ObjectVersion] = Array(versions.reversed())
        for order in [versions, reversed, versionsFirst] {
            let store = ListedVersions(versions: order)
            let early = try await ObjectsAsOf.list(store, at: at(15))
            #expect(early.objects.map(\.versionID) == ["a1", "b1"])
            let middle = try await ObjectsAsOf.list(store, at: at(25))
            #expect(middle.objects.map(\.versionID) == ["b1"], "a is deleted by then, c not yet written")
            let late = try await ObjectsAsOf.list(store, at: at(60))
            #expect(late.objects.map(\.versionID) == ["a3", "c1"])
            #expect(late.closeToThePoint.isEmpty)
            let now = try await ObjectsAsOf.list(store, at: nil)
            #expect(now.objects.map(\.versionID) == ["a3", "c1"])
        }
    }

    @Test func manifestsReadCompactlyAndNameTheirBadLines() throws {
        let directory = NSTemporaryDirectory() + "rdtest-manifest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var entries: [ManifestEntry] = []
        for index in 0..<50 {
            let version: String? = index % 2 == 0 ? "v\(index)" : nil
            let digest = String(repeating: String(index % 10), count: 64)
            entries.append(
                ManifestEntry(
                    key: "k/\(index)", versionID: version, size: Int64(index), sha256: digest, etag: nil,
                    lastModified: Date(timeIntervalSince1970: 1_795_557_900)))
        }
        let path = directory + "/m.jsonl"
        try ManifestWriter.write(entries.shuffled(), to: path)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 50 && lines[0].contains("\"key\":\"k/0\"") && lines[1].contains("\"key\":\"k/1\"") && lines[2].contains("\"key\":\"k/10\""))
        let index = try ManifestIndex.read(path: path)
        #expect(index.count == 50)
        #expect(index.record(forKey: "k/7")?.digest.hex == String(repeating: "7", count: 64))
        try (String(lines[0]) + "\n{\"key\": \"broken\"}\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try ManifestIndex.read(path: path) } throws: { "\($0)".contains("m.jsonl:2: not a manifest entry") }
    }

    @Test func onlyFullObjectChecksumsCount() throws {
        let digest = Data((0..<32).map { UInt8($0) })
        func answer(_ headers: [(name: String, value: String)]) -> HTTPResponse { HTTPResponse(status: 200, headers: headers) }
        #expect(S3Client.fullObjectSHA256(answer([("x-amz-checksum-sha256", digest.base64EncodedString())])) == digest.hex)
        #expect(S3Client.fullObjectSHA256(answer([("X-Amz-Checksum-Sha256", digest.base64EncodedString()), ("x-amz-checksum-type", "FULL_OBJECT")])) == digest.hex)
        #expect(S3Client.fullObjectSHA256(answer([("x-amz-checksum-sha256", digest.base64EncodedString()), ("x-amz-checksum-type", "COMPOSITE")])) == nil)
        #expect(S3Client.fullObjectSHA256(answer([("x-amz-checksum-sha256", digest.base64EncodedString() + "-3")])) == nil)
        #expect(S3Client.fullObjectSHA256(answer([("x-amz-checksum-sha256", "bm90IDMyIGJ5dGVz")])) == nil)
        #expect(S3Client.fullObjectSHA256(answer([])) == nil)
    }

    @Test func shardsPartitionEveryKeyExactlyOnce() throws {
        #expect(Shard("0/3") == nil && Shard("4/3") == nil && Shard("x") == nil)
        let shards = (1...4).map { Shard("\($0)/4")! }
        let keys = (0..<2000).map { "objects/\($0).bin" }
        let counts = shards.map { shard in keys.filter(shard.contains).count }
        #expect(counts.reduce(0, +) == keys.count)
        #expect(keys.allSatisfy { key in shards.filter { $0.contains(key) }.count == 1 })
        #expect(counts.allSatisfy { $0 > 400 }, "roughly even: \(counts)")
        // The partition is a contract between runs (and versions): the first 16 hex digits of
        // the key's SHA-256, modulo the count.
        for key in keys.prefix(300) {
            var digest = StreamingDigest()
            digest.update(Data(key.utf8))
            let expected = Int(UInt64(digest.finalizeHex().prefix(16), radix: 16)! % 4) + 1
            #expect(shards[expected - 1].contains(key), "\(key)")
        }
    }

    @Test func catalogKeysComeFromColumnsThenVariables() throws {
        let row: [String: String?] = ["bucket_id": "avatars", "name": "u/1.png", "version": nil]
        #expect(try CatalogConsistency.render("{tenant}/{bucket_id}/{name}", row: row, variables: ["tenant": "t1"]) == "t1/avatars/u/1.png")
        #expect { try CatalogConsistency.render("{bucket_id}/{name}/{version}", row: row, variables: [:]) } throws: { "\($0)".contains("NULL in 'version'") }
        #expect { try CatalogConsistency.render("{nope}", row: row, variables: [:]) } throws: { "\($0)".contains("neither a column") }
        let objects = [
            ObjectVersion(key: "avatars/u/1.png", versionID: nil, size: 10, etag: "abc", lastModified: Date()),
            ObjectVersion(key: "avatars/u/2.png", versionID: nil, size: 20, etag: "def", lastModified: Date()),
            ObjectVersion(key: "avatars/lonely.png", versionID: nil, size: 1, etag: nil, lastModified: Date()),
        ]
        let rows: [[String: String?]] = [
            ["bucket_id": "avatars", "name": "u/1.png", "size": "10", "etag": "\"abc\""],
            ["bucket_id": "avatars", "name": "u/2.png", "size": "21", "etag": "def"],
            ["bucket_id": "avatars", "name": "u/3.png", "size": "5", "etag": nil],
        ]
        let result = try CatalogConsistency.check(rows: rows, keyTemplate: "{bucket_id}/{name}", variables: [:], objects: try ObjectListing(objects))
        #expect(result.resolved == 1)
        #expect(result.findings.map { "\($0.kind.rawValue) \($0.key)" } == [
            "size differs avatars/u/2.png", "catalog row without object avatars/u/3.png", "orphan avatars/lonely.png",
        ])
    }
}

/// An in-memory listing: the as-of choice is pure logic over what a store lists, and the
/// listing orders of AWS and moto differ in ways one server cannot show.
struct ListedVersions: ObjectStore {
    let versions: [ObjectVersion]
    var description: String { "memory" }
    func keepsVersions() async throws -> Bool { true }
    func listVersions(_ page: ([ObjectVersion]) async throws -> Void) async throws {
        for start in stride(from: 0, to: versions.count, by: 2) { try await page(Array(versions[start..<min(start + 2, versions.count)])) }
    }
    func read(_ version: ObjectVersion, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws -> String? { nil }
}
