import DrillSupport
import Foundation
import Provisioning
import Reports
import Restore

/// Logical backups: one pg_dump archive (custom, directory, tar or plain SQL, compressed or
/// not), a `pg_dumpall` file, or the Supabase CLI's files; replayed into a fresh server with
/// pg_restore or psql.
struct PgDumpSource: BackupSource {
    var formats: [String] { ["pg_dump", "pg_dumpall", "supabase_cli"] }
    var keys: [String] { ["roles", "parts"] }
    var readsS3: Bool { true }

    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError) {
        if let roles = node["roles"] {
            guard format == "pg_dump" else {
                throw roles.error(format == "supabase_cli" ? "the Supabase CLI's roles file is parts.roles" : "a pg_dumpall file holds its roles itself")
            }
            try DrillFileParser.validateLocation(try roles.string(), node: roles)
            backup.roles = try roles.string()
        }
        if let parts = node["parts"], format != "supabase_cli" { throw parts.error("parts belong to format: supabase_cli") }
        if format == "supabase_cli", let location = node["location"], try location.string().hasPrefix("s3://") {
            throw location.error("a supabase_cli backup is read from a local folder (its files are applied in order); fetch them first")
        }
        backup.parts = try Self.parseParts(node["parts"])
        if format == "supabase_cli", node["location"] == nil {
            guard let parts = backup.parts else {
                _ = try node.required("location", hint: "the folder holding roles.sql, schema.sql and data.sql, or parts:")
                return
            }
            backup.location = parts.schema
        }
    }

    /// `parts: {roles, platform, schema, data}`; without it a supabase_cli backup's folder holds
    /// the CLI's usual names (`roles.sql`, `schema.sql`, `data.sql`), filled in by the planner.
    static func parseParts(_ node: YAMLValue?) throws(ConfigError) -> DrillFile.Backup.Parts? {
        guard let node else { return nil }
        try node.rejectUnknownKeys(["roles", "platform", "schema", "data"])
        var paths: [String: String] = [:]
        for key in ["roles", "platform", "schema", "data"] {
            guard let value = node[key] else { continue }
            try DrillFileParser.validateLocation(try value.string(), node: value)
            paths[key] = try value.string()
        }
        let schema = try node.required("schema", hint: "the schema dump (supabase db dump -f schema.sql)").string()
        return DrillFile.Backup.Parts(roles: paths["roles"], platform: paths["platform"], schema: schema, data: paths["data"])
    }

    func plan(_ file: DrillFile, options: DrillOptions) async throws -> DrillPlanner.PlannedBackup {
        try await PgDumpPlanning.plan(file, source: self)
    }

    func inspectFetched(_ plan: inout DrillPlan, suite: inout ReportSuite) async throws {
        guard var logical = plan.logical, logical.inspectedAfterFetch else { return }
        logical.inspectedAfterFetch = false
        let planned = try await PgDumpPlanning.inspect(
            plan.file, artifactPath: plan.artifactPath, metadata: plan.metadata, metadataPath: plan.metadataPath, logical, source: self,
            expectedSize: plan.expectedSize, expectedSHA256: plan.expectedSHA256)
        guard case .logical(let inspected) = planned.plan else { return }
        if let recorded = plan.metadata?.dumpFormat, recorded != inspected.inspection.format {
            throw RestoreError(
                .failure, step: "fetched copy is the recorded kind of dump",
                "\(plan.sourceLocation) was recorded as a \(recorded.rawValue) dump, but the fetched copy is a \(inspected.inspection.format.rawValue) dump")
        }
        plan.backup = .logical(inspected)
        if plan.file.backup.database == nil { plan.database = planned.database }
        plan.backupCreatedAt = plan.backupCreatedAt ?? planned.createdAt
        plan.sourceServerVersion = plan.sourceServerVersion ?? planned.sourceVersion
        let header = inspected.inspection
        suite.cases.append(
            ReportCase(
                name: "fetched copy is a pg_dump archive", status: .passed,
                output: "\(header.format.rawValue) dump\(header.compression == .none ? "" : ", \(header.compression.rawValue)-compressed")\(header.header.serverVersion.map { " of PostgreSQL \($0)" } ?? "")"))
    }

    func restore(_ plan: DrillPlan, runner: DrillRunner, recorder: PhaseRecorder, state: inout DrillState) async throws
        -> any ProvisionedServer
    {
        guard let logical = plan.logical else { throw ProvisionError(.startFailed, "a pg_dump drill was planned without a logical plan") }
        return try await runner.restoreLogical(plan, logical, recorder: recorder, state: &state)
    }

    func formatName(_ plan: DrillPlan) -> String {
        guard let logical = plan.logical else { return "pg_dump" }
        if logical.inspection.format == .cluster { return "pg_dumpall" }
        if logical.dataFile != nil || logical.platformFile != nil { return "supabase_cli (\(1 + logical.partFiles.count) files)" }
        return "pg_dump/\(logical.inspection.format.rawValue)" + (logical.rolesFile == nil ? "" : " with a roles file")
    }

    func summaryLines(_ plan: DrillPlan) -> (backup: [String], restore: [String]) {
        guard let logical = plan.logical else { return ([], []) }
        let inspection = logical.inspection
        var backup = [
            logical.inspectedAfterFetch && plan.metadata?.dumpFormat == nil
                ? "  backup:    \(plan.sourceLocation) (what kind of dump is read once it is fetched)"
                : "  backup:    \(plan.sourceLocation) (\(inspection.format.rawValue) dump\(inspection.compression == .none ? "" : ", \(inspection.compression.rawValue)-compressed"))"
        ]
        if let located = logical.located {
            if let choice = located.choice {
                backup.append("  chosen:    \(located.artifact.name) of \(located.candidates) (\((plan.file.backup.select ?? .latest).description)): \(choice.reason)")
                for candidate in located.listing.prefix(10) {
                    let mark = candidate.name == located.artifact.name ? "*" : " "
                    backup.append("           \(mark) \(candidate.name)\(candidate.time.map { "  \(candidate.timeSource) \(TimestampText.iso($0))" } ?? "")")
                }
                if located.listing.count > 10 { backup.append("             ... and \(located.listing.count - 10) older") }
            }
            if located.needsFetch {
                backup.append(
                    "  fetch:     \(ByteCount(located.bytesToFetch)) into a private folder in \(ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"), hashed\(plan.file.backup.encryption.map { " and decrypted with \($0)" } ?? "") on the way")
            }
        }
        var restore: [String] = []
        if inspection.format == .cluster {
            restore.append(
                "  restore:   every database and role of the cluster with psql; checks in database \(plan.file.backup.database ?? "the dump's one database (postgres when it has several)")")
        } else if let created = inspection.header.createsDatabase {
            restore.append("  restore:   with psql into database \(created), which the dump creates")
        } else {
            restore.append(
                "  restore:   into database \(plan.database) with \(inspection.format.usesPgRestore ? "pg_restore (\(inspection.format.supportsParallelRestore ? plan.jobs : 1) job(s))" : "psql")")
        }
        for (label, path) in [("roles", logical.rolesFile), ("platform", logical.platformFile), ("data", logical.dataFile)] {
            if let path { restore.append("  \(label):\(String(repeating: " ", count: max(1, 10 - label.count)))\(path)") }
        }
        return (backup, restore)
    }

    func checkEnvironment(_ plan: DrillPlan) -> [String: String] {
        guard let logical = plan.logical else { return [:] }
        return ["DRILL_BACKUP_FORMAT": logical.inspection.format.rawValue, "DRILL_BACKUP_COMPRESSION": logical.inspection.compression.rawValue]
    }
}
