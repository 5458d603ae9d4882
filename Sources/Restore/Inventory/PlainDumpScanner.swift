import Foundation

/// Reads a plain SQL dump line by line (as it streams by, on its way to psql or not) and builds
/// its inventory: the `-- Name:` entry comments pg_dump writes before every object, the rows of
/// each table's COPY data, and whether the dump ends with pg_dump's completion trailer.
public struct PlainDumpScanner: Sendable {
    private var inventory = BackupInventory(source: "plain SQL scan", rows: [:], complete: false)
    private var copy = CopyTracker()
    private var dataTable: String?
    private var copyRows: Int64 = 0
    /// Tables whose data came as INSERT statements: their rows are not counted.
    private var uncounted: Set<String> = []
    /// `\connect` lines so far, and the sessions (by that count) that had entries.
    private var connects = 0
    private var sessionsWithEntries: Set<Int> = []
    private var sawClusterTrailer = false
    /// The database the lines are run in now (told by the restore at each `\connect`), and
    /// what each database's entries were, for comparing a cluster dump database by database.
    private var database: String?
    private var byDatabase: [String: BackupInventory] = [:]
    private var uncountedByDatabase: [String: Set<String>] = [:]

    /// A scanner at the start of a dump.
    public init() {}

    /// The lines that follow run in `name` (the session the restore started, or a `\connect`).
    public mutating func enterDatabase(_ name: String) { database = name }

    /// True inside COPY data, where every line but `\.` is a row.
    public var isInCopy: Bool { copy.inCopy }

    /// Reads one line (without its newline).
    public mutating func observe(_ line: Substring) {
        let wasInCopy = copy.inCopy
        if copy.isData(line) {
            if wasInCopy && !copy.inCopy { endCopy() } else { copyRows += 1 }
            return
        }
        if copy.inCopy {
            copyRows = 0
            return
        }
        if copy.inCopyStatement { return }
        if line.hasPrefix("--") {
            if line.hasPrefix("-- PostgreSQL database cluster dump complete") {
                inventory.complete = true
                sawClusterTrailer = true
            } else if line.hasPrefix("-- PostgreSQL database dump complete") {
                // In a pg_dumpall file this ends one database and the cluster trailer ends the
                // file; `pg_dumpall --roles-only` followed by a pg_dump has both, in that order.
                if !inventory.clusterDump || sawClusterTrailer { inventory.complete = true }
            } else if line.hasPrefix("-- PostgreSQL database cluster dump") {
                inventory.clusterDump = true
                inventory.hasDumpHeader = true
            } else if line.hasPrefix("-- PostgreSQL database dump") {
                inventory.hasDumpHeader = true
            } else if let entry = TOCEntry(plainComment: line) {
                inventory.complete = false
                sessionsWithEntries.insert(connects)
                inventory.add(description: entry.description, schema: entry.schema, tag: entry.tag)
                if let database {
                    byDatabase[database, default: BackupInventory(source: "plain SQL scan", rows: [:])]
                        .add(description: entry.description, schema: entry.schema, tag: entry.tag)
                }
                dataTable = entry.description == "TABLE DATA" ? inventory.tablesWithData.last : nil
            }
            return
        }
        let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        if trimmed.isEmpty || trimmed.hasPrefix("\\unrestrict ") { return }
        if trimmed.hasPrefix("\\connect ") || trimmed.hasPrefix("\\c ") { connects += 1 }
        sawStatement()
    }

    /// A row of COPY data that needed no closer look (the caller knows it is inside COPY data
    /// and the line does not start with a backslash).
    public mutating func countRow() { copyRows += 1 }

    /// A line of SQL outside COPY data that needed no closer look.
    public mutating func sawStatement() {
        // The trailer is pg_dump's last word: anything after it means it was not the end.
        inventory.complete = false
        // Data as statements (`--inserts`) rather than COPY: its rows are not counted.
        if let table = dataTable {
            uncounted.insert(table)
            if let database { uncountedByDatabase[database, default: []].insert(table) }
        }
    }

    private mutating func endCopy() {
        guard let table = dataTable else { return }
        inventory.rows![table, default: 0] += copyRows
        if let database { byDatabase[database]?.rows?[table, default: 0] += copyRows }
        copyRows = 0
        // Its data ended with the COPY: a statement after it (a `\connect` to the next database
        // of a pg_dumpall) is not data as INSERTs, which would leave the table's rows uncounted.
        dataTable = nil
    }

    /// The inventory so far (at the end of the dump: the dump's).
    public var result: BackupInventory {
        var inventory = Self.settled(self.inventory, uncounted: uncounted)
        if sessionsWithEntries.count > 1 {
            inventory.spansDatabases = true
            var databases: [String: BackupInventory] = [:]
            for (name, entries) in byDatabase { databases[name] = Self.settled(entries, uncounted: uncountedByDatabase[name] ?? []) }
            inventory.databases = databases
        }
        return inventory
    }

    private static func settled(_ inventory: BackupInventory, uncounted: Set<String>) -> BackupInventory {
        var inventory = inventory
        for table in uncounted { inventory.rows?[table] = nil }
        // Tables with a data entry and no COPY rows at all hold no rows.
        for table in inventory.tablesWithData where inventory.rows?[table] == nil && !uncounted.contains(table) {
            inventory.rows?[table] = 0
        }
        return inventory
    }
}
