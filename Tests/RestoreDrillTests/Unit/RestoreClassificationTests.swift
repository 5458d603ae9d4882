@testable import DrillSupport
@testable import Restore
import Testing

@Suite("Failure or error after a restore tool fails")
struct RestoreClassificationTests {
    static func result(_ stderr: String) -> ToolResult {
        ToolResult(exitCode: 2, signal: nil, standardOutput: "", standardError: stderr, truncated: false, duration: .zero, processID: 1)
    }

    @Test func aBadDumpIsAFailure() {
        let error = LogicalRestore.classify(
            tool: "psql", result: Self.result("psql:<stdin>:5: ERROR:  syntax error at or near \"CRATE\""), serverRunning: true)
        #expect(error.kind == .failure)
    }

    // Regression: a server killed before psql connected printed "Connection refused", which the
    // text match did not know, and a dead drill server was reported as a bad backup.
    @Test func aServerThatStoppedMakesItAnErrorWhateverTheToolPrinted() {
        let error = LogicalRestore.classify(
            tool: "psql", result: Self.result("psql: error: connection to server on socket \"/x/.s.PGSQL.5\" failed: Connection refused"),
            serverRunning: false)
        #expect(error.kind == .error)
        #expect(error.message.contains("The drill's PostgreSQL server stopped during the restore"))
    }
}
