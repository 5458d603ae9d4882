import DrillSupport
import Testing

@Suite("Durations in drill files")
struct DurationTests {
    @Test(arguments: [
        ("30s", 30.0), ("15m", 900), ("4h", 14400), ("1h30m", 5400), ("2d", 172_800), ("500ms", 0.5), ("45", 45), ("1.5h", 5400),
    ])
    func parses(text: String, seconds: Double) {
        #expect(DrillDuration.parse(text)?.seconds == seconds)
    }

    @Test(arguments: ["", "soon", "15x", "m15", "-5m", "1h-2m"])
    func rejects(text: String) {
        #expect(DrillDuration.parse(text) == nil)
    }

    @Test func formatsForPeople() {
        #expect(DrillDuration.format(.milliseconds(850)) == "850ms")
        #expect(DrillDuration.format(.seconds(12.34)) == "12.3s")
        #expect(DrillDuration.format(.seconds(245)) == "4m05s")
        #expect(DrillDuration.format(.seconds(7380)) == "2h03m")
    }

    /// Found by the fuzzer: the conversion to milliseconds trapped on numbers past Int64.
    @Test(arguments: [String(repeating: "1", count: 70), "1e30s", "9999999999999999999999h", "inf", "nan"])
    func aDurationTooLongToMeanAnythingIsNotADuration(text: String) {
        #expect(DrillDuration.parse(text) == nil)
    }
}
