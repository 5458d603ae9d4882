import Foundation

/// Reads a plain SQL dump line by line on its way to psql and decides what psql may see.
///
/// psql itself runs in restricted mode (`\restrict KEY` with a key only the drill knows), so no
/// backslash command of the dump runs: not `\!` (a shell on the drill host), not `\o`/`\w`
/// (writing files), not `\connect host=...` (another server). Three whole-line forms that real
/// dumps need are handled here instead, outside COPY data:
/// - pg_dump's own `\restrict KEY` / `\unrestrict KEY` pair (pg_dump 15.14 and later) is
///   dropped: it would end the drill's restriction;
/// - `\connect DB` (`pg_dump -C`, `pg_dumpall`) becomes a new psql session on database DB of
///   the same throwaway server, started by the drill; any other target (a host, a port, a
///   user, a service) is refused;
/// - `\encoding NAME` (pg_dump -C of a database in another encoding) becomes the equivalent
///   `SET client_encoding`.
public struct PlainSQLFilter: Sendable {
    /// What to do with one line.
    public enum Action: Equatable, Sendable {
        /// Give it to psql.
        case pass
        /// Leave it out.
        case drop
        /// End the session and continue in a new one on this database.
        case connect(String)
        /// Give psql this line instead.
        case replace(String)
        /// Stop: the dump asks for something a drill never does.
        case refuse(String)
    }

    private var copy = CopyTracker()
    /// Inside COPY data.
    var inCopy: Bool { copy.inCopy }
    /// Inside a COPY statement that spans lines: every line needs `classify`.
    var inCopyStatement: Bool { copy.inCopyStatement }

    /// For cluster dumps and roles files: what keeps their role statements out of the drill's way.
    public var roleRules: RoleStatementRules?

    /// A filter at the start of a dump.
    public init(roleRules: RoleStatementRules? = nil) { self.roleRules = roleRules }

    /// Classifies one line (without its newline).
    public mutating func classify(_ line: Substring) -> Action {
        // COPY data, and the COPY statement itself (which may span lines), go to psql as they are.
        if copy.isData(line) || copy.inCopy || copy.inCopyStatement { return .pass }
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.hasPrefix("\\") else { return roleRules?.classify(line) ?? .pass }
        let words = Self.words(trimmed.trimmingCharacters(in: .whitespacesAndNewlines))
        switch words.first {
        case "\\restrict", "\\unrestrict": return .drop
        case "\\connect", "\\c": return Self.connectTarget(Array(words.dropFirst()))
        case "\\encoding":
            guard words.count == 2, let name = words.last, !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
            else { return .pass }
            return .replace("SET client_encoding = '\(name)';")
        default:
            // Left to psql, which refuses it in restricted mode (and stops: ON_ERROR_STOP).
            return .pass
        }
    }

    /// The database a `\connect` line names, when it names nothing but a database.
    static func connectTarget(_ arguments: [String]) -> Action {
        let positional = arguments.filter { !$0.hasPrefix("-reuse-previous") }
        guard positional.count == 1, let target = positional.first, !target.isEmpty else {
            return .refuse("the dump's \\connect names more than a database (\(arguments.joined(separator: " "))): a drill follows \\connect only to databases of its own server")
        }
        guard target.contains("=") || target.hasPrefix("postgres://") || target.hasPrefix("postgresql://") else {
            return target == "-" ? .drop : .connect(target)
        }
        let pairs = conninfoPairs(target)
        guard let pairs, pairs.count == 1, pairs[0].key == "dbname", !pairs[0].value.isEmpty else {
            return .refuse("the dump's \\connect \(target) names a connection, not a database: a drill follows \\connect only to databases of its own server")
        }
        return .connect(pairs[0].value)
    }

    /// `key=value key='quoted value'` pairs; nil when it is not that form.
    static func conninfoPairs(_ text: String) -> [(key: String, value: String)]? {
        var pairs: [(String, String)] = []
        var characters = Substring(text)
        while true {
            characters = characters.drop { $0 == " " }
            guard !characters.isEmpty else { return pairs }
            guard let equals = characters.firstIndex(of: "=") else { return nil }
            let key = characters[..<equals].trimmingCharacters(in: .whitespaces)
            characters = characters[characters.index(after: equals)...].drop { $0 == " " }
            var value = ""
            if characters.first == "'" {
                characters = characters.dropFirst()
                var closed = false
                while let next = characters.first {
                    characters = characters.dropFirst()
                    if next == "\\", let escaped = characters.first {
                        value.append(escaped)
                        characters = characters.dropFirst()
                    } else if next == "'" {
                        closed = true
                        break
                    } else {
                        value.append(next)
                    }
                }
                guard closed else { return nil }
            } else {
                let end = characters.firstIndex(of: " ") ?? characters.endIndex
                value = String(characters[..<end])
                characters = characters[end...]
            }
            pairs.append((key, value))
        }
    }

    /// psql's word splitting for meta-command arguments: `"double"` (with `""` inside) and
    /// `'single'` quotes, else runs of non-blanks.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if let open = quote {
                if character == open {
                    if index + 1 < characters.count, characters[index + 1] == open {
                        current.append(open)
                        index += 1
                    } else {
                        quote = nil
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
            index += 1
        }
        if inWord { words.append(current) }
        return words
    }
}
