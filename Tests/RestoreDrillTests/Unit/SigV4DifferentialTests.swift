import DrillSupport
import DrillTestSupport
import Foundation
import Objects
import Testing

/// Our SigV4 signer and S3 URL building against botocore's, byte for byte, on keys that trip
/// signers up: spaces, `+ = & %`, unicode, `..`, `~`, long keys, empty and valueless parameters.
/// (moto's own signature check mis-verifies several of these, so it cannot be the judge.)
@Suite("SigV4 against botocore")
struct SigV4DifferentialTests {
    struct Case {
        var operation: String
        var bucket = "drill-bucket"
        var key: String?
        var versionID: String?
        var range: String?
        var prefix = ""
        var keyMarker: String?
        var versionMarker: String?
        var token: String?
        var region = "us-east-1"
        var sessionToken: String?
        var addressing = S3Location.Addressing.path
    }

    static let awkward = [
        "plain.txt", "with space.txt", "plus+sign", "equals=sign", "amp&ersand", "per%cent", "tilde~ok", "dots/../up", "./here",
        "unicode/é/ü/日本語.png", "emoji/🙂.bin", "trailing/", "a//double", "semi;colon,comma", "quote'and\"double", "star*paren()",
        "brackets[]{}", "hash#frag?query", "tab\tkey", "space at end ", String(repeating: "long/", count: 150) + "x",
    ]

    static func cases() -> [Case] {
        var cases: [Case] = []
        // SplitMix64: the random keys are the same on every run.
        var generator = SplitMix64(seed: 20261124)
        for (index, key) in awkward.enumerated() {
            cases.append(Case(operation: "get_object", key: key))
            cases.append(Case(operation: "head_object", key: key, versionID: index % 2 == 0 ? "v+\(index)=/x" : nil, region: "eu-central-1"))
            cases.append(Case(operation: "get_object", key: key, range: "bytes=\(index * 100)-", sessionToken: index % 3 == 0 ? "FQo+token/\(index)==" : nil))
            cases.append(Case(operation: "list_object_versions", prefix: key, keyMarker: index % 2 == 0 ? key : nil, versionMarker: index % 2 == 0 ? "vm=\(index)" : nil))
            cases.append(Case(operation: "list_objects_v2", prefix: key, token: index % 2 == 1 ? "1/abc+def=" : nil))
        }
        let alphabet = Array("abcXYZ019 +=&%~-_./é日🙂?#")
        for _ in 0..<40 {
            let length = Int.random(in: 1...60, using: &generator)
            let key = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            cases.append(Case(operation: "get_object", key: key, region: ["us-east-1", "eu-west-1", "ap-south-2"].randomElement(using: &generator)!))
            cases.append(Case(operation: "list_object_versions", prefix: key))
        }
        cases.append(Case(operation: "list_object_versions", prefix: ""))
        cases.append(Case(operation: "list_objects_v2", prefix: ""))
        cases.append(Case(operation: "get_object", key: "virtual/host key+1", addressing: .virtualHost))
        return cases
    }

    @Test func canonicalRequestsAndSignaturesEqualBotocores() async throws {
        let date = Date(timeIntervalSince1970: 1_795_557_900)  // 2026-11-24T22:05:00Z
        var lines: [String] = []
        var ours: [(url: String, canonical: String, authorization: String)] = []
        for item in Self.cases() {
            // botocore addresses an IP endpoint by path whatever it is told: virtual hosts need a name.
            let endpoint = item.addressing == .path ? "http://127.0.0.1:9000" : "https://s3.drill.example:8443"
            let credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: item.sessionToken)
            let client = S3Client(location: S3Location(endpoint: endpoint, bucket: item.bucket, region: item.region, addressing: item.addressing), credentials: credentials)
            let built: (request: HTTPClientRequestView, canonical: String, authorization: String)
            switch item.operation {
            case "get_object", "head_object":
                var headers: [(name: String, value: String)] = []
                if let range = item.range { headers.append(("Range", range)) }
                let result = client.request(item.operation == "get_object" ? .get : .head, key: item.key, query: item.versionID.map { [("versionId", $0)] } ?? [], headers: headers, date: date)
                built = (HTTPClientRequestView(url: result.request.url), result.signed.canonicalRequest, result.signed.authorization)
            case "list_object_versions":
                let result = client.request(.get, key: nil, query: S3Client.versionsQuery(prefix: item.prefix, keyMarker: item.keyMarker, versionMarker: item.versionMarker), date: date)
                built = (HTTPClientRequestView(url: result.request.url), result.signed.canonicalRequest, result.signed.authorization)
            default:
                let result = client.request(.get, key: nil, query: S3Client.currentQuery(prefix: item.prefix, token: item.token), date: date)
                built = (HTTPClientRequestView(url: result.request.url), result.signed.canonicalRequest, result.signed.authorization)
            }
            ours.append((built.request.url, built.canonical, built.authorization))
            var json: [String: Any] = [
                "operation": item.operation, "bucket": item.bucket, "prefix": item.prefix, "endpoint": endpoint, "access_key": credentials.accessKeyID,
                "secret_key": credentials.secretAccessKey, "region": item.region, "time": "20261124T220500Z",
                "addressing": item.addressing == .path ? "path" : "virtual",
            ]
            json["key"] = item.key
            json["version_id"] = item.versionID
            json["range"] = item.range
            json["key_marker"] = item.keyMarker
            json["version_id_marker"] = item.versionMarker
            json["continuation_token"] = item.token
            json["token"] = item.sessionToken
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
        }
        let input = try TestWorkspace("sigv4")
        defer { input.remove() }
        let casesFile = try input.write("cases.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: "python3", arguments: [RepositoryPaths.root + "/fixtures/objects/s3fixture.py", "sign"], input: .file(casesFile),
                captureLimit: 64 << 20))
        #expect(result.succeeded, "\(result.standardError)")
        let theirs = result.standardOutput.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String] ?? [:]
        }
        #expect(theirs.count == ours.count)
        var mismatches: [String] = []
        for (index, (mine, botocore)) in zip(ours, theirs).enumerated() {
            let (myPath, myQuery) = Self.split(mine.url)
            let (theirPath, theirQuery) = Self.split(botocore["url"] ?? "")
            if myPath != theirPath || myQuery != theirQuery { mismatches.append("#\(index) url: ours \(mine.url) botocore \(botocore["url"] ?? "")") }
            if mine.canonical != botocore["canonical_request"] {
                mismatches.append("#\(index) canonical request:\n--- ours\n\(mine.canonical)\n--- botocore\n\(botocore["canonical_request"] ?? "")")
            }
            if mine.authorization != botocore["authorization"] { mismatches.append("#\(index) authorization differs") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5).joined(separator: "\n"))")
        #expect(ours.count > 150)
    }

    /// Path, and the query as a set of `name=value` items (servers do not care about their order).
    static func split(_ url: String) -> (String, Set<String>) {
        let parts = url.split(separator: "?", maxSplits: 1).map(String.init)
        let items = parts.count > 1 ? Set(parts[1].split(separator: "&").map(String.init)) : []
        return (parts[0], items)
    }
}

/// The URL of a built request.
struct HTTPClientRequestView { var url: String }
