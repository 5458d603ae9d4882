/// `.env` files: `KEY=VALUE` lines, optionally `export `-prefixed, values bare or in single or
/// double quotes (double quotes allow `\n`, `\"` and `\\`), `#` comments and blank lines.
enum DotenvParser {
    static func parse(_ text: String) throws(ConfigParseError) -> ConfigValues {
        var entries: [(name: String, value: String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw.hasSuffix("\r") ? raw.dropLast() : raw).drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop { $0 == " " } }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigParseError("line \(index + 1) is not KEY=VALUE")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else {
                throw ConfigParseError("line \(index + 1) has no valid key before '='")
            }
            entries.append((name, try value(line[line.index(after: equals)...], line: index + 1)))
        }
        return ConfigValues(entries: entries)
    }

    private static func value(_ raw: Substring, line: Int) throws(ConfigParseError) -> String {
        let text = raw.drop { $0 == " " }
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            // A bare value ends at an inline comment.
            let bare = text.range(of: " #").map { text[..<$0.lowerBound] } ?? text
            return bare.trimmingCharacters(in: .whitespaces)
        }
        var output = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped {
                switch character {
                case "n": output.append("\n")
                case "t": output.append("\t")
                default: output.append(character)
                }
                escaped = false
            } else if character == "\\" && quote == "\"" {
                escaped = true
            } else if character == quote {
                return output
            } else {
                output.append(character)
            }
        }
        throw ConfigParseError("line \(line) opens a quoted value that does not close")
    }
}
