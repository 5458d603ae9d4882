import Foundation

/// What the drill file says the backup holds on purpose (`backup.content`).
public enum DeclaredContent: String, Sendable, CaseIterable {
    /// A whole database: definitions and data (the default).
    case full
    /// Definitions only (`pg_dump --schema-only`).
    case schemaOnly = "schema_only"
    /// Data only (`pg_dump --data-only`).
    case dataOnly = "data_only"
    /// Part of a database on purpose (`-t`, `-T`, `-n`, or a plain dump meant to be cut short):
    /// what it holds must be restored, but what the source had beyond it is not asked for.
    case partial
}

/// Compares what a backup held with what was restored.
public enum Completeness {
    /// Why the backup's shape does not match what the drill file declares, or nil when it does.
    public static func shapeProblem(_ inventory: BackupInventory, declared: DeclaredContent) -> String? {
        if inventory.complete == false, declared != .partial, inventory.clusterDump {
            return "the pg_dumpall file does not end with its trailer (-- PostgreSQL database cluster dump complete; after a --roles-only part, pg_dump's): it was cut short, and the databases (or the part of one) after the cut are not in it. Declare backup.content: partial if this is on purpose"
        }
        if inventory.complete == false, declared != .partial {
            return "the plain dump does not end with pg_dump's completion trailer (-- PostgreSQL database dump complete): it was cut short, and what came after the cut (often the constraints, indexes and triggers) is not in it. Declare backup.content: partial if this is on purpose"
        }
        switch (inventory.shape, declared) {
        case (.full, .full), (.full, .partial), (.schemaOnly, .schemaOnly), (.dataOnly, .dataOnly), (_, .partial):
            return nil
        case (.schemaOnly, _):
            return "the backup holds the definitions of \(inventory.objects[.table, default: []].count) table(s) and the data of none (a schema-only dump): restoring it brings back no rows. Declare backup.content: schema_only if this is on purpose"
        case (.dataOnly, _):
            return "the backup holds the data of \(inventory.tablesWithData.count) table(s) and no definitions (a data-only dump): it cannot be restored on its own. Declare backup.content: data_only if this is on purpose"
        case (.empty, _):
            return "the backup holds nothing: no definitions and no data"
        case (.full, .schemaOnly):
            return "backup.content says schema_only, but the backup holds the data of \(inventory.tablesWithData.count) table(s)"
        case (.full, .dataOnly):
            return "backup.content says data_only, but the backup holds definitions (\(inventory.summary))"
        }
    }

    /// Objects of the inventory that the restored catalog lacks, by kind.
    public static func missingObjects(_ inventory: BackupInventory, restored: RestoredCatalog) -> [BackupInventory.Kind: [String]] {
        var missing: [BackupInventory.Kind: [String]] = [:]
        for (kind, names) in inventory.objects {
            var needed: [String: Int] = [:]
            for name in names { needed[name, default: 0] += 1 }
            let present = restored.objects[kind] ?? [:]
            for (name, count) in needed where present[name, default: 0] < count {
                missing[kind, default: []].append(count > 1 ? "\(name) (\(count - present[name, default: 0]) of \(count))" : name)
            }
        }
        return missing.mapValues { $0.sorted() }
    }

    /// Tables of the source that the backup holds no data for.
    public static func tablesLacking(_ inventory: BackupInventory) -> [String] {
        guard let fingerprints = inventory.fingerprints else { return [] }
        let held = Set(inventory.tablesWithData)
        return fingerprints.tables.keys.filter { !held.contains($0) }.sorted()
    }

    /// A table whose restored content differs from what was recorded.
    public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
        /// `schema.name`.
        public var table: String
        /// What was recorded.
        public var expectedRows: Int64
        /// What was restored (nil: the table is not there).
        public var restoredRows: Int64?
        /// True when the row counts agree and the digests do not.
        public var contentDiffers: Bool

        /// Creates a mismatch.
        public init(table: String, expectedRows: Int64, restoredRows: Int64?, contentDiffers: Bool) {
            self.table = table
            self.expectedRows = expectedRows
            self.restoredRows = restoredRows
            self.contentDiffers = contentDiffers
        }

        public var description: String {
            guard let restoredRows else { return "\(table): not restored (\(expectedRows) rows recorded)" }
            if contentDiffers { return "\(table): \(restoredRows) rows as recorded, but their content differs" }
            return "\(table): \(restoredRows) rows restored, \(expectedRows) recorded"
        }
    }

    /// Compares recorded row counts with restored ones.
    public static func rowMismatches(expected: [String: Int64], restored: [String: Int64]) -> [Mismatch] {
        expected.keys.sorted().compactMap { table in
            let rows = expected[table]!
            let found = restored[table]
            return found == rows ? nil : Mismatch(table: table, expectedRows: rows, restoredRows: found, contentDiffers: false)
        }
    }

    /// Compares source fingerprints with the restored tables' (only tables the backup holds).
    public static func fingerprintMismatches(expected: [String: TableFingerprint], restored: [String: TableFingerprint]) -> [Mismatch] {
        expected.keys.sorted().compactMap { table in
            let recorded = expected[table]!
            guard let found = restored[table] else {
                return Mismatch(table: table, expectedRows: recorded.rows, restoredRows: nil, contentDiffers: false)
            }
            if found == recorded { return nil }
            return Mismatch(table: table, expectedRows: recorded.rows, restoredRows: found.rows, contentDiffers: found.rows == recorded.rows)
        }
    }
}
