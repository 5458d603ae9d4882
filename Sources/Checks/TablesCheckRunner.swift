import DrillSupport
import Foundation
import PostgresClient

/// Runs a `tables` check: every pattern matches at least one table, every match can be read,
/// and those with a minimum hold at least that many rows. A schema given as a glob never
/// matches the system schemas (`*.*` means every user table).
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
            let matches: [(quoted: String, name: String, remote: Bool)]
            do {
                matches = try await session.query(
                    """
                    SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname || '.' || c.relname,
                           c.relkind = 'f' OR (c.relkind IN ('v', 'm') AND (pg_get_viewdef(c.oid) ILIKE '%dblink%' OR EXISTS (
                               SELECT 1 FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                               JOIN pg_class t ON t.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
                               WHERE r.ev_class = c.oid AND t.relkind = 'f')))
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname || '.' || c.relname LIKE $1 ESCAPE '\\'
                      AND ($2 OR (n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%'
                                  AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'))
                    ORDER BY 2
                    """, [like(entry.pattern), schemaIsLiteral(entry.pattern) ? "true" : "false"]
                ).rows.compactMap { row in
                    guard let quoted = row[0], let name = row[1] else { return nil }
                    return (quoted, name, row[2] == "t")
                }
            } catch {
                return (.error, "cannot list tables: \(error)", "")
            }
            guard !matches.isEmpty else { return (.failed, "no table matches \(entry.pattern)", observed.joined(separator: "\n")) }
            for (quoted, name, remote) in matches {
                if remote {
                    // Reading it would connect to the server it names: production, for a restored copy.
                    observed.append("\(name): not read: a foreign table or dblink view reaches another server, and the restored copy has no way out by design")
                    continue
                }
                do {
                    if let minimum = entry.minimumRows {
                        let count = try await session.query("SELECT count(*) FROM \(quoted)").int() ?? 0
                        observed.append("\(name): \(count) rows")
                        if count < minimum { return (.failed, "\(name) holds \(count) row(s), expected at least \(minimum)", observed.joined(separator: "\n")) }
                    } else if let limit = spec.scanLimit {
                        observed.append("\(name): " + (try await scan(quoted, limit: limit, session: session)))
                    } else {
                        _ = try await session.query("SELECT 1 FROM \(quoted) LIMIT 1")
                        observed.append("\(name): readable")
                    }
                } catch where error.sqlState?.hasPrefix("08") == true {
                    observed.append("\(name): not read: it reaches another server (\(error.message)), and the restored copy has no way out by design")
                } catch {
                    return (error.code == .queryFailed ? .failed : .error, "\(name) cannot be read: \(error)", observed.joined(separator: "\n"))
                }
            }
        }
        return (.passed, "", observed.joined(separator: "\n"))
    }

    /// Counts every row within `limit`; running out of time is no failure (the pages read were fine).
    static func scan(_ quoted: String, limit: Duration, session: PostgresConnection) async throws(PostgresError) -> String {
        let milliseconds = max(1, Int(limit.seconds * 1000))
        _ = try await session.execute("SET statement_timeout = \(milliseconds)")
        do {
            let count = try await session.query("SELECT count(*) FROM \(quoted)").int() ?? 0
            _ = try await session.execute("RESET statement_timeout")
            return "all \(count) rows read"
        } catch where error.sqlState == "57014" && error.code == .queryFailed {
            _ = try await session.execute("RESET statement_timeout")
            return "readable (the scan stopped at its \(DrillDuration.format(limit)) limit)"
        }
    }

    /// True when the schema part of `schema.table` has no wildcard.
    static func schemaIsLiteral(_ pattern: String) -> Bool {
        let schema = pattern.split(separator: ".", maxSplits: 1).first ?? ""
        return !schema.contains("*") && !schema.contains("?")
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
