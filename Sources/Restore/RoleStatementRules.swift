import Foundation

/// Keeps the role and tablespace statements of a cluster dump (`pg_dumpall`, its `--roles-only`
/// form, the Supabase CLI's roles.sql) out of the throwaway cluster's way, line by line:
/// - `CREATE ROLE r;` of a role the cluster already has (the drill's own superuser, one made by
///   an earlier part) is left out: pg_dumpall writes it expecting the error psql would ignore,
///   and the drill runs psql with ON_ERROR_STOP;
/// - `ALTER ROLE`, `COMMENT ON ROLE` and `DROP ROLE` of the drill's own superuser are left out:
///   a Supabase dump's `ALTER ROLE postgres WITH NOSUPERUSER` would otherwise take the drill's
///   rights away in the middle of the restore;
/// - `CREATE TABLESPACE t ... LOCATION '/production/path'` becomes an in-place tablespace inside
///   the throwaway data directory (`allow_in_place_tablespaces`): the path is production's.
public struct RoleStatementRules: Sendable {
    /// The role the drill restores as.
    public let drillSuperuser: String
    /// Roles the cluster has, growing as the dump creates them.
    public private(set) var existing: Set<String>
    /// Roles the dump created, in order.
    public private(set) var created: [String] = []
    /// Statements left out, each with its reason.
    public private(set) var skipped: [String] = []
    /// Tablespaces made in place: name and production's location.
    public private(set) var tablespaces: [(name: String, location: String)] = []

    /// Rules for a cluster whose roles are `existing`, restored as `drillSuperuser`.
    public init(drillSuperuser: String, existing: Set<String>) {
        self.drillSuperuser = drillSuperuser
        self.existing = existing.union([drillSuperuser])
    }

    /// What to do with one line outside COPY data; nil when it is none of the statements above.
    public mutating func classify(_ line: Substring) -> PlainSQLFilter.Action? {
        if line.hasPrefix("CREATE ROLE "), let (role, rest) = Self.identifier(at: line.dropFirst("CREATE ROLE ".count)),
            rest.trimmingCharacters(in: .whitespaces) == ";"
        {
            if existing.contains(role) {
                skipped.append("CREATE ROLE \(role): the throwaway cluster has it already")
                return .drop
            }
            existing.insert(role)
            created.append(role)
            return .pass
        }
        for prefix in ["ALTER ROLE ", "ALTER USER ", "COMMENT ON ROLE ", "DROP ROLE IF EXISTS ", "DROP ROLE "] {
            guard let role = Self.role(in: line, after: prefix) else { continue }
            guard role == drillSuperuser else { return nil }
            skipped.append("\(prefix)\(role) …: \(role) is the drill's own superuser here")
            return .drop
        }
        if line.hasPrefix("CREATE TABLESPACE "), let tablespace = Self.inPlaceTablespace(line) {
            tablespaces.append((tablespace.name, tablespace.location))
            return .replace("SET allow_in_place_tablespaces = on; " + tablespace.statement)
        }
        return nil
    }

    /// The role named right after `prefix` (bare or double-quoted), or nil.
    static func role(in line: Substring, after prefix: String) -> String? {
        guard line.hasPrefix(prefix) else { return nil }
        return identifier(at: line.dropFirst(prefix.count))?.name
    }

    /// An SQL identifier at the start of `text` (folded to lower case when bare) and what follows it.
    static func identifier(at text: Substring) -> (name: String, rest: Substring)? {
        if text.first == "\"" {
            var name = ""
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                let character = text[index]
                index = text.index(after: index)
                if character == "\"" {
                    guard index < text.endIndex, text[index] == "\"" else { return (name, text[index...]) }
                    name.append("\"")
                    index = text.index(after: index)
                } else {
                    name.append(character)
                }
            }
            return nil
        }
        let bare = text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
        guard !bare.isEmpty else { return nil }
        return (bare.lowercased(), text[bare.endIndex...])
    }

    /// `CREATE TABLESPACE name OWNER owner LOCATION '...';` with the location emptied.
    static func inPlaceTablespace(_ line: Substring) -> (name: String, location: String, statement: String)? {
        guard let name = identifier(at: line.dropFirst("CREATE TABLESPACE ".count))?.name,
            let location = line.range(of: " LOCATION '"), let end = line[location.upperBound...].range(of: "'")
        else { return nil }
        let path = String(line[location.upperBound..<end.lowerBound])
        let statement = String(line[..<location.lowerBound]) + " LOCATION ''" + String(line[end.upperBound...])
        return (name, path, statement)
    }

    /// The report's lines about what the rules did.
    public var summary: [String] {
        var lines: [String] = []
        if !created.isEmpty { lines.append("roles created from the dump: \(created.joined(separator: ", "))") }
        if !skipped.isEmpty { lines.append("left out: " + skipped.joined(separator: "; ")) }
        for tablespace in tablespaces {
            lines.append("tablespace \(tablespace.name) created in place inside the throwaway data directory (production's location: \(tablespace.location))")
        }
        return lines
    }
}
