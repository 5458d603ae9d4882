import DrillSupport
import Foundation
import PostgresClient

/// A table's content at one moment: its exact row count and an order-independent digest (the
/// exact sum of each row's 64-bit `hashtextextended` over its text form). Equal rows count
/// twice, so duplicates do not cancel out. The hash is the one hash partitioning relies on:
/// stable across PostgreSQL versions, the same on every little-endian machine; the text form
/// is in the database's encoding, so source and copy must share it (both are recorded).
public struct TableFingerprint: Sendable, Codable, Equatable {
    /// Rows.
    public var rows: Int64
    /// The digest, in decimal.
    public var digest: String

    /// Creates a fingerprint.
    public init(rows: Int64, digest: String) {
        self.rows = rows
        self.digest = digest
    }
}

/// Fingerprints of the source database's tables at the dump's snapshot (`record --source`).
public struct SourceFingerprints: Sendable, Codable, Equatable {
    /// How the digests were computed; a drill compares only digests of its own method.
    public var method: String = Fingerprinter.method
    /// When they were taken (the source server's clock).
    public var takenAt: Date?
    /// The snapshot they were taken in: an exported snapshot id, or `now`.
    public var snapshot: String?
    /// Physical backups: the restore point created at the same snapshot.
    public var restorePoint: String?
    /// The database the tables are in.
    public var database: String?
    /// That database's encoding (rows are hashed in it).
    public var encoding: String?
    /// Every table of the source with its fingerprint (`schema.name`).
    public var tables: [String: TableFingerprint]

    /// Creates fingerprints.
    public init(
        takenAt: Date?, snapshot: String?, restorePoint: String? = nil, database: String? = nil, encoding: String? = nil,
        tables: [String: TableFingerprint]
    ) {
        self.takenAt = takenAt
        self.snapshot = snapshot
        self.restorePoint = restorePoint
        self.database = database
        self.encoding = encoding
        self.tables = tables
    }

    enum CodingKeys: String, CodingKey {
        case method, takenAt = "taken_at", snapshot, restorePoint = "restore_point", database, encoding, tables
    }
}

/// Computes table fingerprints server-side, the same way on the source and on the restored copy.
public enum Fingerprinter {
    /// The digest method's name (recorded with the fingerprints).
    public static let method = "hashtextextended-sum-v1"

    /// Settings that fix every type's text output, so a row reads the same on both servers.
    public static let settings = [
        "SET search_path = pg_catalog", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'", "SET TimeZone = 'UTC'",
        "SET extra_float_digits = 3", "SET bytea_output = 'hex'", "SET lc_monetary = 'C'", "SET xmloption = 'content'",
    ]

    /// The tables of the connected database whose rows a dump holds: ordinary and partition
    /// tables (partitioned parents hold none themselves), outside the system schemas and
    /// extensions, with their quoted names.
    /// Unlogged tables are left out with `includeUnlogged: false`: recovery from WAL empties them.
    public static func tables(on connection: PostgresConnection, includeUnlogged: Bool = true) async throws -> [(name: String, quoted: String)] {
        let result = try await connection.query(
            """
            SELECT \(RestoredCatalog.tocSpelling("n.nspname || '.' || c.relname")), format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND c.relpersistence \(includeUnlogged ? "<> 't'" : "= 'p'")
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1
            """)
        return result.rows.compactMap { row in
            guard let name = row[0], let quoted = row[1] else { return nil }
            return (name, quoted)
        }
    }

    /// The encoding of the database `connection` is in.
    public static func encoding(on connection: PostgresConnection) async throws -> String? {
        try await connection.query("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()").value()
    }

    /// Applies `settings` on `connection` (once per session).
    public static func prepare(_ connection: PostgresConnection) async throws {
        for statement in settings { _ = try await connection.execute(statement) }
    }

    /// The fingerprint of one table (`quoted`: its schema-qualified, quoted name).
    public static func fingerprint(_ quoted: String, on connection: PostgresConnection) async throws -> TableFingerprint {
        let result = try await connection.query(
            "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text FROM ONLY \(quoted) AS t")
        return TableFingerprint(rows: result.int() ?? 0, digest: result.value(column: 1) ?? "0")
    }
}
