@testable import Checks
import DrillSupport
import Foundation
@testable import PostgresClient
import Testing

@Suite("Check files and SQL expectations")
struct CheckFileTests {
    func load(_ text: String) throws -> [CheckDefinition] {
        let path = NSTemporaryDirectory() + "rdtest-check-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CheckLoader.loadFile(path: path, pack: "unit")
    }

    @Test func readsASingleCheckAndAList() throws {
        let single = try load("id: a.one\nquery: SELECT true\nexpect: true\ntimeout: 5s\ntags: [x]\n")
        #expect(single.count == 1)
        #expect(single[0].timeout == .seconds(5))
        #expect(single[0].tags == ["x"])
        let list = try load("checks:\n  - {id: a, query: SELECT 1, expect: {rows: {min: 1}}}\n  - {id: b, query: SELECT 'x', expect: {value: x}}\n")
        #expect(list.map(\.id) == ["a", "b"])
        guard case .sql(let spec) = list[0].kind else { return }
        #expect(spec.expectation == .rows(min: 1, max: nil, equal: nil))
    }

    @Test func anUnknownKindNamesTheLine() throws {
        #expect {
            try load("id: a\nkind: telepathy\nquery: x\nexpect: true\n")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == 2 && error.message.contains("unknown check kind 'telepathy'")
        }
    }

    /// A key of another kind would be ignored: it is refused where it stands.
    @Test(arguments: [
        ("id: a\nkind: sql\nquery: SELECT true\nexpect: true\nurl: http://127.0.0.1/\n", 5, "a sql check has no key 'url'"),
        ("id: a\nquery: SELECT true\nexpect: true\nheapallindexed: true\n", 4, "a sql check has no key 'heapallindexed'"),
        ("id: a\nkind: integrity\nquery: SELECT 1\n", 3, "an integrity check has no key 'query'"),
        ("id: a\nkind: http\nurl: http://127.0.0.1/\nexpect: {}\ntables: [a.b]\n", 5, "a http check has no key 'tables'"),
    ])
    func aKeyOfAnotherKindIsRefusedWithItsLine(text: String, line: Int, phrase: String) throws {
        #expect {
            try load(text)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == line && error.message.contains(phrase)
        }
    }

    @Test func aMissingExpectationSaysWhatToWrite() throws {
        #expect {
            try load("id: a\nquery: SELECT 1\n")
        } throws: { error in
            "\(error)".contains("'expect' is required") && "\(error)".contains("rows: {min: 1}")
        }
    }

    static func result(_ rows: [[String?]], type: UInt32 = 25) -> QueryResult {
        QueryResult(columns: [.init(name: "c", typeOID: type)], rows: rows, commandTag: "SELECT", notices: [])
    }

    @Test(arguments: [
        (SQLExpectation.isTrue, [["t"]], CheckStatus.passed),
        (.isTrue, [["f"]], .failed),
        (.isTrue, [[nil]], .failed),
        (.isTrue, [], .failed),
        (.rows(min: 2, max: nil, equal: nil), [["a"]], .failed),
        (.rows(min: 1, max: 2, equal: nil), [["a"], ["b"]], .passed),
        (.rows(min: nil, max: 1, equal: nil), [["a"], ["b"]], .failed),
        (.rows(min: nil, max: nil, equal: 0), [], .passed),
        (.value("42"), [["42"]], .passed),
        (.value("42"), [["41"]], .failed),
    ] as [(SQLExpectation, [[String?]], CheckStatus)])
    func judgesResults(expectation: SQLExpectation, rows: [[String?]], status: CheckStatus) {
        #expect(SQLCheckRunner.judge(Self.result(rows), expectation: expectation, recoveryPoint: nil).0 == status)
    }

    @Test func freshnessComparesWithTheRecoveryPoint() {
        let point = TimestampText.parse("2026-11-24 12:00:00+00")!
        let fresh = Self.result([["2026-11-24 11:30:00.5+00"]])
        let stale = Self.result([["2026-11-24 09:00:00+00"]])
        #expect(SQLCheckRunner.judge(fresh, expectation: .within(.seconds(3600)), recoveryPoint: point).0 == .passed)
        #expect(SQLCheckRunner.judge(stale, expectation: .within(.seconds(3600)), recoveryPoint: point).0 == .failed)
    }

    @Test func parsesPostgresTimestamps() {
        let utc = TimestampText.parse("2026-11-24 17:01:02.25+00")
        let india = TimestampText.parse("2026-11-24 22:31:02.25+05:30")
        #expect(utc != nil)
        #expect(utc == india)
        #expect(TimestampText.parse("yesterday") == nil)
    }
}
