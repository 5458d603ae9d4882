import Foundation
import PostgresClient

/// The user objects of a restored database, named the way pg_dump's table of contents names
/// them, so that an inventory can be checked against it.
public struct RestoredCatalog: Sendable {
    /// How many objects of each kind carry each name (functions may be overloaded).
    public var objects: [BackupInventory.Kind: [String: Int]]
    /// Tables (and partitions, foreign tables, materialized views) by name, with their quoted names.
    public var relations: [String: String]

    /// Creates a catalog.
    public init(objects: [BackupInventory.Kind: [String: Int]], relations: [String: String]) {
        self.objects = objects
        self.relations = relations
    }

    static let userSchema = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"

    /// pg_dump's table of contents (and a plain dump's `-- Name:` lines) print newlines and
    /// carriage returns in names as spaces; names read from a catalog are spelled the same way.
    public static func tocSpelling(_ expression: String) -> String { "translate(\(expression), E'\\n\\r', '  ')" }

    static let query = """
        SELECT kind, \(tocSpelling("name")) FROM (
        SELECT 'schema', n.nspname FROM pg_namespace n WHERE \(userSchema)
        UNION ALL SELECT 'extension', extname FROM pg_extension
        UNION ALL SELECT 'type', n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE \(userSchema)
        UNION ALL SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'f' THEN 'foreign_table' WHEN 'v' THEN 'view'
                WHEN 'm' THEN 'materialized_view' WHEN 'S' THEN 'sequence' ELSE 'index' END, n.nspname || '.' || c.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'i', 'I') AND \(userSchema)
        UNION ALL SELECT 'constraint', n.nspname || '.' || coalesce(c.relname, t.typname) || ' ' || k.conname
            FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
            LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid WHERE \(userSchema)
        UNION ALL SELECT 'trigger', n.nspname || '.' || c.relname || ' ' || g.tgname
            FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT g.tgisinternal AND \(userSchema)
        UNION ALL SELECT 'policy', n.nspname || '.' || c.relname || ' ' || p.polname
            FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        UNION ALL SELECT 'function', n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE \(userSchema)
        UNION ALL SELECT 'large_object', oid::text FROM pg_largeobject_metadata
        ) AS objects(kind, name)
        """

    /// Reads the catalog of the database `connection` is in.
    public static func read(_ connection: PostgresConnection) async throws -> RestoredCatalog {
        var objects: [BackupInventory.Kind: [String: Int]] = [:]
        for row in try await connection.query(query).rows {
            guard let kindName = row[0], let kind = BackupInventory.Kind(rawValue: kindName), let name = row[1] else { continue }
            objects[kind, default: [:]][name, default: 0] += 1
        }
        var relations: [String: String] = [:]
        let tables = try await connection.query(
            """
            SELECT \(tocSpelling("n.nspname || '.' || c.relname")), format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'f', 'm') AND \(userSchema)
            """)
        for row in tables.rows {
            if let name = row[0], let quoted = row[1] { relations[name] = quoted }
        }
        return RestoredCatalog(objects: objects, relations: relations)
    }
}
