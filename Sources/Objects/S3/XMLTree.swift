import Foundation

/// A parsed XML document as a small tree: enough for S3's list and error answers (elements,
/// text, the five named entities and numeric references; attributes, comments, declarations
/// and CDATA are read past). Our own parser rather than Foundation's XMLParser, which crashed
/// on malformed input in the fuzz tests (a bug in FoundationXML on Linux): a broken or hostile
/// endpoint must get an error, never a crash.
final class XMLNode: @unchecked Sendable {
    // Built once by the parser, read-only afterwards.
    let name: String
    var text = ""
    var children: [XMLNode] = []

    init(name: String) { self.name = name }

    /// The first child named `name`.
    func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }
    /// Every child named `name`.
    func all(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    /// Parses `data`; nil when it is not well-formed (unbalanced tags, no root, bad references).
    static func parse(_ data: Data) -> XMLNode? {
        var parser = XMLScanner(bytes: Array(data))
        return parser.document()
    }
}

/// A byte-level scanner over UTF-8 XML.
private struct XMLScanner {
    let bytes: [UInt8]
    var index = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() -> XMLNode? {
        var root: XMLNode?
        var stack: [XMLNode] = []
        var text: [UInt8] = []
        while index < bytes.count {
            if bytes[index] != UInt8(ascii: "<") {
                text.append(bytes[index])
                index += 1
                continue
            }
            if let parent = stack.last, !text.isEmpty {
                guard let decoded = Self.decode(text) else { return nil }
                parent.text += decoded
            } else if stack.isEmpty, !text.allSatisfy(Self.isSpace) {
                return nil  // text outside the root element
            }
            text.removeAll(keepingCapacity: true)
            if starts(with: "<?") { guard skip(past: "?>") else { return nil }; continue }
            if starts(with: "<!--") { guard skip(past: "-->") else { return nil }; continue }
            if starts(with: "<![CDATA[") {
                index += 9
                guard let end = find("]]>"), let parent = stack.last else { return nil }
                parent.text += String(decoding: bytes[index..<end], as: UTF8.self)
                index = end + 3
                continue
            }
            if starts(with: "<!") { guard skip(past: ">") else { return nil }; continue }
            if starts(with: "</") {
                index += 2
                guard let name = readName(), let open = stack.popLast(), open.name == name else { return nil }
                skipSpaces()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { return nil }
                index += 1
                continue
            }
            index += 1
            guard let name = readName(), stack.count < Self.maximumDepth else { return nil }
            // Attributes are not needed: skip to the end of the tag, minding quoted values.
            var selfClosing = false
            var quote: UInt8?
            while true {
                guard index < bytes.count else { return nil }
                let byte = bytes[index]
                index += 1
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    selfClosing = index >= 2 && bytes[index - 2] == UInt8(ascii: "/")
                    break
                }
            }
            let node = XMLNode(name: name)
            if let parent = stack.last {
                parent.children.append(node)
            } else {
                guard root == nil else { return nil }  // a second root
                root = node
            }
            if !selfClosing { stack.append(node) }
        }
        guard stack.isEmpty, text.allSatisfy(Self.isSpace) else { return nil }
        return root
    }

    func starts(with prefix: String) -> Bool {
        let prefixBytes = Array(prefix.utf8)
        return bytes.count - index >= prefixBytes.count && Array(bytes[index..<index + prefixBytes.count]) == prefixBytes
    }

    func find(_ marker: String) -> Int? {
        let target = Array(marker.utf8)
        guard bytes.count >= target.count else { return nil }
        var position = index
        while position + target.count <= bytes.count {
            if Array(bytes[position..<position + target.count]) == target { return position }
            position += 1
        }
        return nil
    }

    mutating func skip(past marker: String) -> Bool {
        guard let end = find(marker) else { return false }
        index = end + marker.utf8.count
        return true
    }

    mutating func skipSpaces() {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    mutating func readName() -> String? {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if Self.isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") { break }
            index += 1
        }
        guard index > start else { return nil }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// Replaces entity and character references; nil for an unknown or malformed one.
    static func decode(_ raw: [UInt8]) -> String? {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var output: [UInt8] = []
        var position = 0
        while position < raw.count {
            guard raw[position] == UInt8(ascii: "&") else {
                output.append(raw[position])
                position += 1
                continue
            }
            guard let semicolon = raw[position...].firstIndex(of: UInt8(ascii: ";")), semicolon - position <= 12 else { return nil }
            let entity = String(decoding: raw[(position + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "amp": output.append(UInt8(ascii: "&"))
            case "lt": output.append(UInt8(ascii: "<"))
            case "gt": output.append(UInt8(ascii: ">"))
            case "quot": output.append(UInt8(ascii: "\""))
            case "apos": output.append(UInt8(ascii: "'"))
            default:
                let number: UInt32?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    number = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    number = UInt32(entity.dropFirst())
                } else {
                    number = nil
                }
                guard let number, let scalar = Unicode.Scalar(number) else { return nil }
                output += Array(String(Character(scalar)).utf8)
            }
            position = semicolon + 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
