@testable import Checks
import Testing

@Suite("TAP from command checks")
struct TAPParserTests {
    @Test func readsPlanTestsDirectivesAndDiagnostics() throws {
        let tap = try #require(
            TAPParser.parse(
                """
                TAP version 13
                1..5
                ok 1 - schema present
                not ok 2 - admin can log in
                  ---
                  message: 'password mismatch'
                  ...
                ok 3 - import works # SKIP no CSV today
                not ok 4 - known bug # TODO fix in 2.1
                ok - unnumbered \\# not a directive
                """))
        #expect(tap.plannedCount == 5)
        #expect(tap.tests.map(\.outcome) == [.passed, .failed, .skipped, .skipped, .passed])
        #expect(tap.tests[1].diagnostics == "message: 'password mismatch'\n")
        #expect(tap.tests[2].directive == "SKIP no CSV today")
        #expect(tap.tests[4].number == 5)
        #expect(tap.tests[4].description == "unnumbered # not a directive")
        #expect(tap.problems.isEmpty)
    }

    @Test func commentDiagnosticsBelongToTheTestBeforeThem() throws {
        let tap = try #require(
            TAPParser.parse("# header comment\n1..3\nok 1 - a\nnot ok 2 - b\n# Failed test 2: \"b\"\n#         have: 1\n#         want: 2\nok 3 - c\n"))
        #expect(tap.tests[0].diagnostics.isEmpty)
        #expect(tap.tests[1].diagnostics == "Failed test 2: \"b\"\n        have: 1\n        want: 2\n")
        #expect(tap.tests[2].diagnostics.isEmpty)
    }

    @Test func aPlanTheTestsDoNotMatchIsAProblem() throws {
        let tap = try #require(TAPParser.parse("1..3\nok 1\nok 2\n"))
        #expect(tap.problems == ["the plan announced 3 test(s) but 2 ran"])
    }

    @Test func bailOutAndSkipAllAreRead() throws {
        #expect(TAPParser.parse("1..2\nok 1\nBail out! database gone\n")?.bailOut == "database gone")
        #expect(TAPParser.parse("1..0 # Skip no pgtap here\n")?.skipAllReason == "no pgtap here")
    }

    @Test func plainOutputIsNotTAP() {
        #expect(TAPParser.parse("checking...\nall good\n") == nil)
        #expect(TAPParser.parse("looks ok to me\n") == nil)
    }
}
