import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Reports
import Restore

/// After a logical restore: does the restored database hold everything the backup held? The
/// inventory recorded at backup time (`restore-drill record`) is the reference; without one,
/// what the artifact itself lists (`pg_restore --list`, or the plain dump as it streamed by).
enum CompletenessPhase {
    static func cases(
        _ plan: DrillPlan, _ logical: LogicalBackupPlan, server: any ProvisionedServer, restored: RestoreOutcome,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [ReportCase] {
        let declared = plan.file.backup.content
        let recorded = plan.metadata?.inventory
        var inventory: BackupInventory
        if let recorded {
            inventory = recorded
        } else if let scanned = restored.inventory {
            inventory = scanned
        } else {
            inventory = try await InventoryReader.contents(
                path: plan.artifactPath, inspection: logical.inspection, pgRestore: await DrillPlanner.anyPgRestore())
        }
        // What was actually fed to psql decides whether the dump was whole.
        if let scanned = restored.inventory { inventory.complete = scanned.complete }
        let origin = recorded != nil ? "recorded in \(plan.metadataPath ?? "the metadata")" : "read from the artifact (\(inventory.source)); restore-drill record ARTIFACT records more"

        var cases: [ReportCase] = []
        let start = ContinuousClock.now
        if let problem = Completeness.shapeProblem(inventory, declared: declared) {
            cases.append(ReportCase(name: "the backup holds a whole database", status: .failed, message: problem + ". Nothing else is checked.", output: inventory.summary))
            return cases
        }
        cases.append(
            ReportCase(
                name: "the backup holds a whole database", status: .passed,
                output: "\(inventory.summary) (\(origin))\(declared == .full ? "" : "; backup.content: \(declared.rawValue)")"))

        if inventory.spansDatabases == true {
            guard let databases = restored.inventory?.databases, !databases.isEmpty else {
                cases.append(
                    ReportCase(
                        name: "every object the backup holds was restored", status: .skipped,
                        message: "the dump holds objects in several databases (\(restored.databases.joined(separator: " → "))), and what each held was not read as it streamed"))
                return cases
            }
            // A cluster dump: each database against what the dump held for it.
            for name in databases.keys.sorted() {
                cases += try await databaseCases(name, databases[name]!, declared: declared, server: server, progress: progress)
            }
            return cases
        }
        let connection = try await connect(server.connection.with(database: restored.database))
        defer { connection.close() }
        progress("reading the restored catalog")
        let catalog = try await RestoredCatalog.read(connection)
        let missing = Completeness.missingObjects(inventory, restored: catalog)
        cases.append(objectsCase(inventory, missing: missing, seconds: (ContinuousClock.now - start).seconds))

        if declared == .schemaOnly {
            cases.append(ReportCase(name: "every table has the rows the backup holds", status: .skipped, message: "backup.content: schema_only"))
        } else if let rows = inventory.rows, !rows.isEmpty {
            cases.append(try await rowsCase(rows, name: "every table has the rows the backup holds", catalog: catalog, connection: connection, progress: progress))
        } else {
            cases.append(
                ReportCase(
                    name: "every table has the rows the backup holds", status: .skipped,
                    message: "the rows of the backup's tables were not counted: restore-drill record ARTIFACT counts them"))
        }
        cases.append(
            try await fingerprintCase(
                inventory.fingerprints, tablesWithData: inventory.tablesWithData, declared: declared, catalog: catalog, connection: connection,
                progress: progress))
        return cases
    }

    /// One database of a cluster dump: its objects and its tables' rows, as the dump held them.
    static func databaseCases(
        _ name: String, _ inventory: BackupInventory, declared: DeclaredContent, server: any ProvisionedServer,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [ReportCase] {
        let start = ContinuousClock.now
        let connection = try await connect(server.connection.with(database: name))
        defer { connection.close() }
        progress("reading the restored catalog of \(name)")
        let catalog = try await RestoredCatalog.read(connection)
        var objects = objectsCase(inventory, missing: Completeness.missingObjects(inventory, restored: catalog), seconds: (ContinuousClock.now - start).seconds)
        objects.name += " (database \(name))"
        var cases = [objects]
        guard declared != .schemaOnly, let rows = inventory.rows, !rows.isEmpty else { return cases }
        cases.append(
            try await rowsCase(
                rows, name: "every table has the rows the backup holds (database \(name))", catalog: catalog, connection: connection, progress: progress))
        return cases
    }

    /// Counts the rows of each table the backup held rows for and compares them.
    static func rowsCase(
        _ rows: [String: Int64], name: String, catalog: RestoredCatalog, connection: PostgresConnection, progress: @escaping @Sendable (String) -> Void
    ) async throws -> ReportCase {
        let start = ContinuousClock.now
        var counted: [String: Int64] = [:]
        for (index, table) in rows.keys.sorted().enumerated() {
            guard let quoted = catalog.relations[table] else { continue }
            progress("counting rows \(index + 1)/\(rows.count): \(table)")
            counted[table] = try await query(connection, "SELECT count(*) FROM ONLY \(quoted)").int()
        }
        let mismatches = Completeness.rowMismatches(expected: rows, restored: counted)
        let seconds = (ContinuousClock.now - start).seconds
        guard mismatches.isEmpty else {
            return ReportCase(
                name: name, status: .failed, seconds: seconds,
                message: "\(mismatches.count) table(s) differ from the backup: \(listed(mismatches.map(\.description)))")
        }
        return ReportCase(name: name, status: .passed, seconds: seconds, output: "\(rows.count) table(s), \(rows.values.reduce(0, +)) rows")
    }

    static func objectsCase(_ inventory: BackupInventory, missing: [BackupInventory.Kind: [String]], seconds: Double) -> ReportCase {
        let total = inventory.objects.values.reduce(0) { $0 + $1.count }
        guard !missing.isEmpty else {
            return ReportCase(name: "every object the backup holds was restored", status: .passed, seconds: seconds, output: "\(total) object(s) present")
        }
        let parts = missing.keys.sorted().map { kind in "\(kind.plural): \(listed(missing[kind]!))" }
        return ReportCase(
            name: "every object the backup holds was restored", status: .failed, seconds: seconds,
            message: "\(missing.values.reduce(0) { $0 + $1.count }) of \(total) object(s) the backup holds are not in the restored database; \(parts.joined(separator: "; "))")
    }

    /// Compares the source's fingerprints with the restored tables; `tablesWithData` (logical
    /// backups) are the tables the backup holds, nil when it holds them all (physical).
    static func fingerprintCase(
        _ fingerprints: SourceFingerprints?, tablesWithData: [String]?, declared: DeclaredContent, catalog: RestoredCatalog,
        connection: PostgresConnection, progress: @escaping @Sendable (String) -> Void
    ) async throws -> ReportCase {
        let name = "restored tables match the source's fingerprints"
        guard let fingerprints else {
            return ReportCase(name: name, status: .skipped, message: "no source fingerprints were recorded (restore-drill record ARTIFACT --source DSN ... takes them)")
        }
        guard fingerprints.method == Fingerprinter.method else {
            return ReportCase(name: name, status: .error, message: "the fingerprints were taken with method \(fingerprints.method), which this restore-drill does not know (it uses \(Fingerprinter.method))")
        }
        if declared == .schemaOnly { return ReportCase(name: name, status: .skipped, message: "backup.content: schema_only") }
        if let recorded = fingerprints.encoding, let restored = try await Fingerprinter.encoding(on: connection), recorded != restored {
            return ReportCase(
                name: name, status: .error,
                message: "the source database is \(recorded) and the restored one \(restored): rows hash differently in another encoding. Restore into a database of the source's encoding (pg_dump --create keeps it)")
        }
        let start = ContinuousClock.now
        let held = tablesWithData.map(Set.init) ?? Set(fingerprints.tables.keys)
        let lacking = fingerprints.tables.keys.filter { !held.contains($0) }.sorted()
        let expected = fingerprints.tables.filter { held.contains($0.key) }
        try await Fingerprinter.prepare(connection)
        var restored: [String: TableFingerprint] = [:]
        for (index, table) in expected.keys.sorted().enumerated() {
            guard let quoted = catalog.relations[table] else { continue }
            progress("fingerprint \(index + 1)/\(expected.count): \(table)")
            restored[table] = try await Fingerprinter.fingerprint(quoted, on: connection)
        }
        let mismatches = Completeness.fingerprintMismatches(expected: expected, restored: restored)
        var problems: [String] = []
        if !lacking.isEmpty, declared != .partial {
            problems.append("the backup holds no data for \(lacking.count) table(s) the source had: \(listed(lacking)) (declare backup.content: partial if they are left out on purpose)")
        }
        if !mismatches.isEmpty { problems.append("\(mismatches.count) table(s) differ from the source: \(listed(mismatches.map(\.description)))") }
        let seconds = (ContinuousClock.now - start).seconds
        let moment =
            "\(fingerprints.restorePoint.map { "restore point '\($0)', " } ?? "")snapshot \(fingerprints.snapshot ?? "?")\(fingerprints.takenAt.map { " at \(TimestampText.iso($0))" } ?? "")"
        guard problems.isEmpty else {
            return ReportCase(name: name, status: .failed, seconds: seconds, message: problems.joined(separator: "; "))
        }
        let rows = expected.values.reduce(0) { $0 + $1.rows }
        let left = lacking.isEmpty ? "" : "; \(lacking.count) source table(s) left out on purpose (backup.content: partial)"
        return ReportCase(name: name, status: .passed, seconds: seconds, output: "\(expected.count) table(s), \(rows) rows equal to the source's at \(moment)\(left)")
    }

    static func listed(_ names: [String], limit: Int = 10) -> String {
        names.prefix(limit).joined(separator: ", ") + (names.count > limit ? " and \(names.count - limit) more" : "")
    }

    static func connect(_ parameters: ConnectionParameters) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(parameters)
        } catch {
            throw RestoreError(.error, step: "completeness", "cannot connect to the restored database: \(error)")
        }
    }

    static func query(_ connection: PostgresConnection, _ sql: String) async throws -> QueryResult {
        do {
            return try await connection.query(sql)
        } catch {
            throw RestoreError(.error, step: "completeness", "cannot read the restored database: \(error)")
        }
    }

    /// After recovery to a named restore point: the fingerprints `record --restore-point` took
    /// there (in the sidecar of any base backup of the catalog), compared in their database.
    static func restorePointCase(
        _ fingerprints: SourceFingerprints, _ plan: DrillPlan, server: any ProvisionedServer, progress: @escaping @Sendable (String) -> Void
    ) async throws -> ReportCase {
        let connection = try await connect(server.connection.with(database: fingerprints.database ?? plan.database))
        defer { connection.close() }
        let catalog = try await RestoredCatalog.read(connection)
        return try await fingerprintCase(fingerprints, tablesWithData: nil, declared: .full, catalog: catalog, connection: connection, progress: progress)
    }

    static func recordedFingerprints(_ point: String, _ plan: DrillPlan, _ physical: PhysicalBackupPlan) -> SourceFingerprints? {
        if let found = plan.metadata?.restorePoints?[point] { return found }
        for backup in physical.catalog.reversed() {
            let sidecar = BackupMetadata.sidecarPath(for: backup.directory)
            if let found = (try? BackupMetadata.load(path: sidecar))?.restorePoints?[point] { return found }
        }
        return nil
    }
}
