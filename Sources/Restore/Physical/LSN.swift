import Foundation

/// A WAL location, written by PostgreSQL as `X/Y` (two hex halves of a 64-bit position).
public struct LSN: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 64-bit position.
    public var value: UInt64

    /// Wraps a position.
    public init(_ value: UInt64) { self.value = value }

    /// Parses `0/3000028`; nil when it is not an LSN.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16),
            high <= UInt32.max, low <= UInt32.max
        else { return nil }
        value = high << 32 | low
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.value < rhs.value }

    public var description: String { String(format: "%X/%X", UInt32(value >> 32), UInt32(value & 0xFFFF_FFFF)) }
}
