/// Reads a manifest line of the exact form `ManifestEntry.appendJSONLine` writes (keys in that
/// order, no blanks, the escapes it uses) without JSONDecoder, which cost more per line than
/// hashing a small object. Anything else (an edited manifest, other escapes) returns nil, and
/// the caller decodes the line with JSONDecoder instead: never a different answer, only a slower one.
struct ManifestLineParser {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    static func parse(_ line: UnsafeRawBufferPointer) -> IndexedLine? {
        var parser = ManifestLineParser(bytes: line)
        return parser.line()
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private mutating func line() -> IndexedLine? {
        var end = bytes.count
        if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
        guard take("{") else { return nil }
        // The index keeps no ETag: read past it.
        if take("\"etag\":") {
            guard string() != nil, take(",") else { return nil }
        }
        guard take("\"key\":"), let key = string(), take(",\"last_modified\":"), let time = string(), take(",\"sha256\":"),
            let sha256 = string(), take(",\"size\":"), let size = integer()
        else { return nil }
        var versionID: String?
        if take(",\"version_id\":") {
            guard let value = string() else { return nil }
            versionID = value
        }
        guard take("}"), position == end else { return nil }
        return IndexedLine(key: key, versionID: versionID, size: size, sha256: sha256, lastModified: time)
    }

    private func peek(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let pointer = literal.utf8Start
        for offset in 0..<count where bytes[position + offset] != pointer[offset] { return false }
        return true
    }

    private mutating func take(_ literal: StaticString) -> Bool {
        guard peek(literal) else { return false }
        position += literal.utf8CodeUnitCount
        return true
    }

    private mutating func integer() -> Int64? {
        var value: Int64 = 0
        let start = position
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = product + Int64(bytes[position] - 0x30)
            position += 1
        }
        // JSON has no leading zeros ("007"); let the decoder judge those.
        guard position > start, position - start == 1 || bytes[start] != 0x30 else { return nil }
        return value
    }

    private mutating func string() -> String? {
        guard position < bytes.count, bytes[position] == 0x22 else { return nil }
        position += 1
        // Most texts have no escape: made from the bytes at once.
        var end = position
        while end < bytes.count, bytes[end] != 0x22, bytes[end] != 0x5C, bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == 0x22 {
            let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
            position = end + 1
            return text
        }
        var text: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case 0x22: return String(validating: text, as: UTF8.self)
            case 0x5C:
                guard position < bytes.count else { return nil }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case 0x22, 0x5C, 0x2F: text.append(escaped)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"):
                    // Only the control characters the writer escapes this way.
                    guard position + 4 <= bytes.count, bytes[position] == 0x30, bytes[position + 1] == 0x30,
                        let high = Self.hexValue(bytes[position + 2]), let low = Self.hexValue(bytes[position + 3]), high < 2
                    else { return nil }
                    text.append(high << 4 | low)
                    position += 4
                default: return nil
                }
            case 0..<0x20: return nil
            default: text.append(byte)
            }
        }
        return nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }
}
