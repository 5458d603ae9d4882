import Foundation

/// What a logical backup says it holds: the objects of its table of contents, by kind, and how
/// many rows each table's data has. Recorded by `restore-drill record` and compared with the
/// restored catalog by every drill.
public struct BackupInventory: Sendable, Codable, Equatable {
    /// The kinds of object a complete restore must bring back, named as pg_dump names them.
    public enum Kind: String, Sendable, Codable, CaseIterable, Comparable {
        case schema, `extension`, type, table, foreignTable = "foreign_table", view, materializedView = "materialized_view"
        case sequence, index, constraint, trigger, policy, function, largeObject = "large_object"

        /// The kind of a pg_dump table-of-contents description (`TABLE`, `FK CONSTRAINT`...), or
        /// nil for entries that are not objects to count (`COMMENT`, `ACL`, `TABLE DATA`...).
        public init?(description: String) {
            switch description {
            case "SCHEMA": self = .schema
            case "EXTENSION": self = .extension
            case "TYPE", "DOMAIN": self = .type
            case "TABLE": self = .table
            case "FOREIGN TABLE": self = .foreignTable
            case "VIEW": self = .view
            case "MATERIALIZED VIEW": self = .materializedView
            case "SEQUENCE": self = .sequence
            case "INDEX": self = .index
            case "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT": self = .constraint
            case "TRIGGER": self = .trigger
            case "POLICY": self = .policy
            case "FUNCTION", "PROCEDURE", "AGGREGATE": self = .function
            case "BLOB", "LARGE OBJECT": self = .largeObject
            default: return nil
            }
        }

        /// Plural words for reports ("3 tables").
        public var plural: String {
            switch self {
            case .schema: "schemas"
            case .extension: "extensions"
            case .type: "types"
            case .table: "tables"
            case .foreignTable: "foreign tables"
            case .view: "views"
            case .materializedView: "materialized views"
            case .sequence: "sequences"
            case .index: "indexes"
            case .constraint: "constraints"
            case .trigger: "triggers"
            case .policy: "policies"
            case .function: "functions"
            case .largeObject: "large objects"
            }
        }

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// What the backup holds, and whether it holds data at all.
    public enum Shape: String, Sendable, Codable {
        /// Definitions and the data of its tables.
        case full
        /// Definitions without any table data (`pg_dump --schema-only`).
        case schemaOnly = "schema_only"
        /// Table data without the definitions (`pg_dump --data-only`).
        case dataOnly = "data_only"
        /// Nothing at all.
        case empty
    }

    /// Where the inventory was read from (`pg_restore --list`, `plain SQL scan`).
    public var source: String
    /// Object names by kind, as pg_dump names them: `schema.name`; for constraints, triggers and
    /// policies `schema.table name`; for functions `schema.name` once per overload.
    public var objects: [Kind: [String]]
    /// Tables with a data entry (`schema.name`).
    public var tablesWithData: [String]
    /// Rows of each table's data in the artifact, when they were counted (COPY data).
    public var rows: [String: Int64]?
    /// Plain SQL only: the dump ends with pg_dump's completion trailer.
    public var complete: Bool?
    /// Data fingerprints of the source database at the dump's snapshot (`record --source`).
    public var fingerprints: SourceFingerprints?
    /// Plain SQL only: entries in more than one database (`pg_dumpall`), which one catalog cannot be compared with.
    public var spansDatabases: Bool?
    /// Plain SQL only, not recorded: the dump is a `pg_dumpall` file, whose end is the cluster trailer.
    public var clusterDump = false
    /// Plain SQL only, not recorded: the text began as pg_dump or pg_dumpall output does, so
    /// it must end with their trailer (a hand-written SQL file has neither).
    public var hasDumpHeader = false
    /// Plain SQL spanning databases (`pg_dumpall`), not recorded: each database's own entries.
    public var databases: [String: BackupInventory]?

    /// Creates an inventory.
    public init(
        source: String, objects: [Kind: [String]] = [:], tablesWithData: [String] = [], rows: [String: Int64]? = nil,
        complete: Bool? = nil, fingerprints: SourceFingerprints? = nil
    ) {
        self.source = source
        self.objects = objects
        self.tablesWithData = tablesWithData
        self.rows = rows
        self.complete = complete
        self.fingerprints = fingerprints
    }

    enum CodingKeys: String, CodingKey {
        case source, counts, objects, tablesWithData = "tables_with_data", rows, complete, fingerprints, spansDatabases = "spans_databases"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(String.self, forKey: .source)
        let named = try container.decodeIfPresent([String: [String]].self, forKey: .objects) ?? [:]
        var objects: [Kind: [String]] = [:]
        for (key, names) in named {
            guard let kind = Kind(rawValue: key) else {
                throw DecodingError.dataCorruptedError(forKey: .objects, in: container, debugDescription: "unknown object kind '\(key)'")
            }
            objects[kind] = names
        }
        self.objects = objects
        tablesWithData = try container.decodeIfPresent([String].self, forKey: .tablesWithData) ?? []
        rows = try container.decodeIfPresent([String: Int64].self, forKey: .rows)
        complete = try container.decodeIfPresent(Bool.self, forKey: .complete)
        fingerprints = try container.decodeIfPresent(SourceFingerprints.self, forKey: .fingerprints)
        spansDatabases = try container.decodeIfPresent(Bool.self, forKey: .spansDatabases)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        // Counts are for people reading the file; the names are what a drill compares.
        try container.encode(Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }), forKey: .counts)
        try container.encode(Dictionary(uniqueKeysWithValues: objects.map { ($0.key.rawValue, $0.value) }), forKey: .objects)
        try container.encode(tablesWithData, forKey: .tablesWithData)
        try container.encodeIfPresent(rows, forKey: .rows)
        try container.encodeIfPresent(complete, forKey: .complete)
        try container.encodeIfPresent(fingerprints, forKey: .fingerprints)
        try container.encodeIfPresent(spansDatabases, forKey: .spansDatabases)
    }

    /// How many objects of each kind.
    public var counts: [Kind: Int] { objects.mapValues(\.count) }

    /// Whether the backup holds definitions, data, both or nothing.
    public var shape: Shape {
        let definitions = objects.values.contains { !$0.isEmpty }
        switch (definitions, !tablesWithData.isEmpty) {
        case (true, true): return .full
        case (true, false): return objects[.table, default: []].isEmpty ? .full : .schemaOnly
        case (false, true): return .dataOnly
        case (false, false): return .empty
        }
    }

    /// One line for reports: "2 schemas, 14 tables (12 with data), 20 indexes...".
    public var summary: String {
        var parts: [String] = []
        for kind in Kind.allCases {
            let count = objects[kind, default: []].count
            guard count > 0 else { continue }
            parts.append(kind == .table ? "\(count) \(kind.plural) (\(tablesWithData.count) with data)" : "\(count) \(kind.plural)")
        }
        if objects[.table, default: []].isEmpty, !tablesWithData.isEmpty { parts.append("data of \(tablesWithData.count) tables") }
        if let rows { parts.append("\(rows.values.reduce(0, +)) rows") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }

    /// Adds one table-of-contents entry (`TABLE DATA` adds a table with data).
    public mutating func add(description: String, schema: String, tag: String) {
        let qualified = schema == "-" || schema.isEmpty ? tag : "\(schema).\(tag)"
        if description == "TABLE DATA" {
            tablesWithData.append(qualified)
            return
        }
        guard let kind = Kind(description: description) else { return }
        switch kind {
        case .function:
            // Overloads differ in their arguments, which the catalog spells differently: the name counts.
            objects[kind, default: []].append(String(qualified.prefix { $0 != "(" }))
        default:
            objects[kind, default: []].append(qualified)
        }
    }
}
