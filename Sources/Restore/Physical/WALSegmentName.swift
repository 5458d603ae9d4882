import Foundation

/// A WAL segment file name, `TTTTTTTTXXXXXXXXYYYYYYYY`: timeline, then the segment number
/// split in "log" and "seg" halves, where one log holds 4 GiB / segment size segments.
public struct WALSegmentName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Timeline id.
    public var timeline: UInt32
    /// Segment number on that timeline (position / segment size).
    public var number: UInt64
    /// Segment size in bytes (16 MiB unless initdb chose otherwise).
    public var segmentSize: UInt64

    /// Default WAL segment size.
    public static let defaultSegmentSize: UInt64 = 16 << 20

    /// A segment by its parts.
    public init(timeline: UInt32, number: UInt64, segmentSize: UInt64 = defaultSegmentSize) {
        self.timeline = timeline
        self.number = number
        self.segmentSize = segmentSize
    }

    /// The segment holding `lsn` on `timeline`.
    public init(timeline: UInt32, containing lsn: LSN, segmentSize: UInt64 = defaultSegmentSize) {
        self.init(timeline: timeline, number: lsn.value / segmentSize, segmentSize: segmentSize)
    }

    /// Parses a 24-hex-digit segment file name; nil for anything else (history files, partials...).
    public init?(_ name: String, segmentSize: UInt64 = defaultSegmentSize) {
        guard name.count == 24, name.allSatisfy(\.isHexDigit),
            let timeline = UInt32(name.prefix(8), radix: 16),
            let log = UInt64(name.dropFirst(8).prefix(8), radix: 16),
            let seg = UInt64(name.suffix(8), radix: 16)
        else { return nil }
        self.init(timeline: timeline, number: log * Self.segmentsPerLog(segmentSize) + seg, segmentSize: segmentSize)
    }

    static func segmentsPerLog(_ segmentSize: UInt64) -> UInt64 { 0x1_0000_0000 / segmentSize }

    /// The next segment on the same timeline.
    public var next: WALSegmentName { WALSegmentName(timeline: timeline, number: number + 1, segmentSize: segmentSize) }

    /// The first LSN in the segment.
    public var startLSN: LSN { LSN(number * segmentSize) }

    public static func < (lhs: WALSegmentName, rhs: WALSegmentName) -> Bool {
        (lhs.timeline, lhs.number) < (rhs.timeline, rhs.number)
    }

    public var description: String {
        let perLog = Self.segmentsPerLog(segmentSize)
        return String(format: "%08X%08X%08X", timeline, UInt32(number / perLog), UInt32(number % perLog))
    }
}
