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

    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError) {
        if let roles = node["roles"] {
            guard format == "pg_dump" else {
                throw roles.error(format == "supabase_cli" ? "the Supabase CLI's roles file is parts.roles" : "a pg_dumpall file holds its roles itself")
            }
            try DrillFileParser.validateLocation(try roles.string(), node: roles)
            backup.roles = try roles.string()
        }
        if let parts = node["parts"], format != "supabase_cli" { throw parts.error("parts belong to format: supabase_cli") }
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
        let backup = [
            "  backup:    \(plan.artifactPath) (\(inspection.format.rawValue) dump\(inspection.compression == .none ? "" : ", \(inspection.compression.rawValue)-compressed"))"
        ]
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
