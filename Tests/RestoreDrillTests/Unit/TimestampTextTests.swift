import DrillSupport
import Foundation
import Testing

/// Times written by arithmetic must be what a formatter writes, for every instant a report or
/// a manifest holds.
@Suite("Timestamps and hex written fast")
struct TimestampTextTests {
    static func formatted(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: date)
    }

    @Test func isoAgreesWithAFormatterFrom1600To2400() {
        var generator = SystemRandomNumberGenerator()
        var instants: [TimeInterval] = [0, -1, -86_400, -86_401, 951_782_400, 951_868_799, 4_102_444_800, 253_402_300_799]
        for _ in 0..<20_000 { instants.append(TimeInterval(Int64.random(in: -11_676_096_000...13_569_465_600, using: &generator))) }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(TimestampText.iso(date) == Self.formatted(date) + ".000000Z", "\(seconds)")
        }
    }

    @Test func microsecondsAreKeptAndRoundUpIntoTheNextSecond() {
        #expect(TimestampText.iso(Date(timeIntervalSince1970: 1_764_600_000.000_123)) == "2025-12-01T14:40:00.000123Z")
        #expect(TimestampText.postgres(Date(timeIntervalSince1970: 1_764_600_059.999_999_7)) == "2025-12-01 14:41:00.000000+00")
        #expect(TimestampText.iso(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500000Z")
    }

    @Test func hexIsLowercaseTwoDigitsPerByte() {
        #expect([UInt8]([0x00, 0x0f, 0xa0, 0xff]).hex == "000fa0ff")
        #expect((0...255).map { UInt8($0) }.hex == (0...255).map { String(format: "%02x", $0) }.joined())
    }
}
