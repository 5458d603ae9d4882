import DrillSupport
import Foundation
import PostgresClient

/// Runs a `tables` check: every pattern matches at least one table, every match can be read,
/// and those with a minimum hold at least that many rows.
enum TablesCheckRunner {
    static func run(_ spec: TablesCheck, context: CheckContext) async -> (CheckStatus, String, String) {
        let target = spec.database.map { context.connection.with(database: $0) } ?? context.connection
        let session: PostgresConnection
        do {
            session = try await PostgresConnection.connect(target)
        } catch {
            return (.error, "cannot connect to the restored server: \(error)", "")
        }
        defer { session.close() }
        var observed: [String] = []
        for entry in spec.entries {
            let matches: [(quoted: String, name: String)]
            do {
                matches = try await session.query(
                    """
                    SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname || '.' || c.relname
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname || '.' || c.relname LIKE $1 ESCAPE '\\'
                    ORDER BY 2
                    """, [like(entry.pattern)]
                ).rows.compactMap { row in
                    guard let quoted = row[0], let name = row[1] else { return nil }
                    return (quoted, name)
                }
            } catch {
                return (.error, "cannot list tables: \(error)", "")
            }
            guard !matches.isEmpty else { return (.failed, "no table matches \(entry.pattern)", observed.joined(separator: "\n")) }
            for (quoted, name) in matches {
                do {
                    if let minimum = entry.minimumRows {
                        let count = try await session.query("SELECT count(*) FROM \(quoted)").int() ?? 0
                        observed.append("\(name): \(count) rows")
                        if count < minimum { return (.failed, "\(name) holds \(count) row(s), expected at least \(minimum)", observed.joined(separator: "\n")) }
                    } else {
                        _ = try await session.query("SELECT 1 FROM \(quoted) LIMIT 1")
                        observed.append("\(name): readable")
                    }
                } catch {
                    return (error.code == .queryFailed ? .failed : .error, "\(name) cannot be read: \(error)", observed.joined(separator: "\n"))
                }
            }
        }
        return (.passed, "", observed.joined(separator: "\n"))
    }

    /// `app.audit_*` → `app.audit\_%` (LIKE with `\` as escape).
    static func like(_ glob: String) -> String {
        var pattern = ""
        for character in glob {
            switch character {
            case "*": pattern += "%"
            case "?": pattern += "_"
            case "%", "_", "\\": pattern += "\\" + String(character)
            default: pattern.append(character)
            }
        }
        return pattern
    }
}
