import Checks
import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// A drill file as written by the user, validated, nothing resolved yet.
public struct DrillFile: Sendable {
    /// RPO and RTO targets.
    public struct Targets: Sendable {
        public var rpo: Duration
        public var rto: Duration
    }

    /// Which backup to restore.
    public struct Backup: Sendable {
        /// The source's name (`BackupSources`): `pg_dump`, `pg_dumpall`, `supabase_cli`, `basebackup`.
        public var format: String
        /// `file://` URL or path (relative to the drill file).
        public var location: String
        /// Metadata file location; the `ARTIFACT.restore-drill.json` sidecar when nil.
        public var metadata: String?
        /// Recorded SHA-256 given inline.
        public var sha256: String?
        /// Recorded size given inline.
        public var size: Int64?
        /// Logical: the database to restore into (the dump's own name when nil).
        /// Physical: the database checks run in (`postgres` when nil).
        public var database: String?
        /// Physical: the WAL archive folder.
        public var walArchive: String?
        /// Which of several backups to drill (`latest` when nil).
        public var select: BackupChoiceRule?
        /// How an encrypted artifact is decrypted.
        var encryption: ArtifactDecryption?
        /// How to reach an `s3://` location.
        var s3 = S3Settings()
        /// A source's own scalar keys (pgBackRest's `stanza`, `config`), as written.
        var sourceOptions: [String: String] = [:]
        /// What the backup holds on purpose; a backup that holds less than this fails.
        public var content: DeclaredContent = .full
        /// `roles`: a roles file (`pg_dumpall --roles-only`) applied before the dump.
        public var roles: String?
        /// `format: supabase_cli`: the files of one backup, in the order they are applied.
        public var parts: Parts?

        /// The files of a backup made in several parts (the Supabase CLI's `supabase db dump`
        /// three times), each a path resolved against the drill file.
        public struct Parts: Sendable {
            /// `--role-only` output.
            public var roles: String?
            /// What the target platform has before a restore (for Supabase: its auth and storage
            /// schemas), when the throwaway server is a plain PostgreSQL.
            public var platform: String?
            /// The schema dump.
            public var schema: String
            /// `--data-only` output.
            public var data: String?
        }

        /// True when there is nothing to restore: an `external` server was restored by its provider.
        public var isNone: Bool { format == "none" }
    }

    /// How far to recover a physical backup, and how.
    public struct Recovery: Sendable {
        /// Where to stop (the drill's default; `run --target-*` overrides it).
        public var target: RecoveryTarget
        /// How long replay may take before the drill gives up.
        public var timeout: Duration
        /// A superuser role of the restored cluster (reached with trust on the private socket);
        /// nil: the usual bootstrap names are tried.
        public var superuser: String?
        /// Scheduler libraries allowed to stay in shared_preload_libraries.
        public var allowPreload: Set<String>
        /// `target: random_within_window`: a time drawn in the chosen backup's WAL coverage,
        /// with this seed (nil: one the drill draws and reports).
        public var randomWithinWindow: RandomWindow? = nil

        /// How the random target is drawn.
        public struct RandomWindow: Sendable, Equatable {
            public var seed: UInt64?
        }
    }

    /// The throwaway server.
    public struct Postgres: Sendable {
        public var provisioner: String
        /// Major version, or nil for `auto` (the backup's).
        public var version: Int?
        public var binDirectory: String?
        public var osUser: String
        public var listenOnLoopback: Bool
        public var settings: [String: String]
        /// `external`: the connection string, by reference.
        public var dsn: String? = nil
        /// `external`: the only hosts a DSN may name.
        public var allowHosts: [String] = []
        /// `docker`: runtime, image and network.
        public var container: ContainerOptions? = nil
        /// `preload`: libraries a logical restore's server preloads (pg_cron...).
        public var preload: [String] = []

        /// True for a server the drill did not provision and never restores into.
        public var isExternal: Bool { provisioner == "external" }
    }

    /// Restore options.
    public struct Restore: Sendable {
        public var jobs: Int?
        public var dropOwnership: Bool
    }

    /// A drill variable: a plain value or a secret reference.
    public enum Variable: Sendable {
        case value(String)
        case secret(SecretReference)
    }

    /// Path of the file (as given).
    public var path: String
    public var name: String
    public var targets: Targets
    public var backup: Backup
    public var postgres: Postgres
    public var restore: Restore
    public var recovery: Recovery
    public var variables: [String: Variable]
    /// Check packs (names), files or directories, in order, with where each was written.
    public var checks: [CheckReference]
    /// Application processes started after the restore, against the restored database.
    public var services: [ServiceDefinition] = []
    /// The object store that belongs with the backup, compared at the recovery point.
    public var objects: ObjectsSection?
    /// How the buckets keep backups (`posture:`), checked read-only.
    public var posture: PostureSection?
    /// Configuration and secrets backups, and the keys a restore needs (`config:`).
    public var config: ConfigSection?
    /// Heartbeat URLs pinged with the verdict (`notify:`).
    public var notify: NotifySection?
    /// `reports.history`: where every run's record is appended (resolved).
    public var historyDirectory: String?
    public var reportsDirectory: String?
    public var checkConcurrency: Int?

    /// The directory relative paths in the file are resolved against.
    public var baseDirectory: String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }
}

/// Parses drill files with `file:line:column` errors for every mistake.
public enum DrillFileParser {
    static let secretLikeNames = ["password", "passwd", "secret", "token", "key", "credential"]

    /// Reads and validates the drill file at `path`.
    /// The path is made absolute first (against the current directory), so every path the file
    /// names, and every `DRILL_*` path checks see, is absolute whatever folder anything runs in.
    public static func load(path: String) throws(ConfigError) -> DrillFile {
        let absolute = DrillPlanner.resolvePath(path, base: FileManager.default.currentDirectoryPath)
        return try parse(try YAMLValue.load(path: absolute), path: absolute)
    }

    /// Validates a parsed drill file.
    public static func parse(_ root: YAMLValue, path: String) throws(ConfigError) -> DrillFile {
        guard root.isMapping else { throw root.error("a drill file is a YAML mapping with name, targets, backup, postgres, checks and reports") }
        try root.rejectUnknownKeys(["name", "description", "targets", "backup", "postgres", "restore", "recovery", "variables", "services", "objects", "posture", "config", "notify", "checks", "reports"])
        let name = try root.required("name").string()
        let targetsNode = try root.required("targets", hint: "e.g. targets: {rpo: 24h, rto: 30m}")
        try targetsNode.rejectUnknownKeys(["rpo", "rto"])
        let targets = DrillFile.Targets(
            rpo: try targetsNode.required("rpo", hint: "the largest acceptable data-loss window, e.g. 24h").duration(),
            rto: try targetsNode.required("rto", hint: "the longest acceptable time to restore, e.g. 30m").duration())
        let postgres = try parsePostgres(root["postgres"])
        let backup: DrillFile.Backup
        if postgres.isExternal {
            // The provider restored it; the drill only checks and measures, so nothing may be restored into it.
            if let node = root["backup"] {
                throw node.error("an external server is restored by its provider: the drill never restores into it. Remove backup: (or use provisioner: pg_ctl)")
            }
            backup = DrillFile.Backup(format: "none", location: "")
        } else {
            backup = try parseBackup(try root.required("backup"))
        }
        if let recovery = root["recovery"], BackupSources.named(backup.format)?.recoversToTarget != true {
            throw recovery.error("recovery targets need a physical backup (backup.format: basebackup); a pg_dump restores to the moment it was taken")
        }
        var file = DrillFile(
            path: path, name: name, targets: targets, backup: backup,
            postgres: postgres, restore: try parseRestore(root["restore"]),
            recovery: try parseRecovery(root["recovery"]),
            variables: try parseVariables(root["variables"]), checks: try parseChecks(root["checks"]),
            reportsDirectory: try parseReports(root["reports"]).dir, checkConcurrency: try parseReports(root["reports"]).concurrency)
        file.services = try ServiceParsing.parse(root["services"], baseDirectory: file.baseDirectory)
        file.objects = try ObjectsParsing.parse(root["objects"], baseDirectory: file.baseDirectory)
        file.posture = try PostureParsing.parse(root["posture"], file: file)
        file.config = try ConfigSectionParsing.parse(root["config"], baseDirectory: file.baseDirectory)
        file.notify = try NotifyParsing.parse(root["notify"])
        file.historyDirectory = try parseReports(root["reports"]).history.map { DrillPlanner.resolvePath($0, base: file.baseDirectory) }
        return file
    }

    static func parseBackup(_ node: YAMLValue) throws(ConfigError) -> DrillFile.Backup {
        let format = try node["format"]?.string() ?? "pg_dump"
        guard let source = BackupSources.named(format) else {
            throw try node.required("format").error("unknown backup format '\(format)'; expected one of \(BackupSources.formatNames.joined(separator: ", "))")
        }
        if let mapping = node.mappingKeys {
            for key in mapping where !BackupSources.commonKeys.contains(key) && !source.keys.contains(key) {
                let owners = BackupSources.formats(reading: key)
                guard !owners.isEmpty, let value = node[key] else { continue }
                throw value.error(
                    owners == ["basebackup"] ? "\(key) belongs to physical backups (format: basebackup)" : "\(key) belongs to format: \(owners.joined(separator: " or "))")
            }
        }
        try node.rejectUnknownKeys(Set(BackupSources.commonKeys + source.keys + S3Settings.keys))
        var backup = DrillFile.Backup(format: format, location: "")
        if let metadata = node["metadata"] { try validateLocation(try metadata.string(), node: metadata) }
        backup.metadata = try node["metadata"]?.string()
        if let shaNode = node["sha256"] {
            let value = try shaNode.string().lowercased()
            guard value.count == 64, value.allSatisfy(\.isHexDigit) else { throw shaNode.error("expected 64 hex digits of SHA-256") }
            backup.sha256 = value
        }
        if let sizeNode = node["size"] {
            let value = try sizeNode.int()
            guard value >= 0 else { throw sizeNode.error("a size cannot be negative") }
            backup.size = Int64(value)
        }
        backup.database = try node["database"]?.string()
        if let contentNode = node["content"] {
            let text = try contentNode.string()
            guard let content = DeclaredContent(rawValue: text) else {
                throw contentNode.error("unknown backup content '\(text)'; expected \(DeclaredContent.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            backup.content = content
        }
        if let selectNode = node["select"] { backup.select = try parseSelect(selectNode) }
        if let encryption = node["encryption"] { backup.encryption = try ArtifactDecryption.parse(encryption) }
        if !source.readsS3, let key = S3Settings.keys.first(where: { node[$0] != nil }) {
            throw node[key]!.error("\(key) is for an s3:// backup.location; format: \(format) reads local files")
        }
        backup.s3 = try S3Settings.parse(node, baseDirectory: (node.file as NSString).deletingLastPathComponent)
        try source.parse(node, format: format, into: &backup)
        if backup.location.isEmpty {
            let location = try node.required("location", hint: "where the dump is, e.g. file:///backups/app.dump").string()
            if location.hasPrefix("s3://"), !source.readsS3 {
                throw try node.required("location").error(
                    "format: \(format) reads local folders; s3:// locations are for formats pg_dump, pg_dumpall, basebackup and barman_cloud")
            }
            try validateLocation(location, node: try node.required("location"), allowS3: source.readsS3)
            backup.location = location
        }
        return backup
    }

    /// `backup.select`: `latest`, a name, `{latest_within: 7d}` or `{random_within: 30d, seed: 42}`.
    static func parseSelect(_ node: YAMLValue) throws(ConfigError) -> BackupChoiceRule {
        guard node.isMapping else {
            let text = try node.string()
            return text == "latest" ? .latest : .named(text)
        }
        try node.rejectUnknownKeys(["latest_within", "random_within", "seed"])
        if let window = node["latest_within"] {
            if let other = node["random_within"] ?? node["seed"] { throw other.error("latest_within takes no \(node["seed"] != nil ? "seed" : "random_within")") }
            return .latestWithin(try window.duration())
        }
        guard let window = node["random_within"] else {
            throw node.error("expected latest, a backup's name, {latest_within: 7d} or {random_within: 30d, seed: 42}")
        }
        var seed: UInt64?
        if let seedNode = node["seed"] {
            let value = try seedNode.int()
            guard value > 0 else { throw seedNode.error("a seed is a whole number above 0") }
            seed = UInt64(value)
        }
        return .randomWithin(try window.duration(), seed: seed)
    }

    /// Local paths, `file://` URLs and `s3://` URLs are locations; `s3://` only where `allowS3`.
    static func validateLocation(_ location: String, node: YAMLValue, allowS3: Bool = false) throws(ConfigError) {
        if location.hasPrefix("s3://") {
            guard allowS3 else {
                throw node.error("this key takes a local path or file:// URL; s3:// is for backup.location (copy this file locally, or keep it beside the artifact in the bucket)")
            }
            let rest = location.dropFirst(5)
            if rest.isEmpty || rest.hasPrefix("/") { throw node.error("'\(location)' names no bucket: write s3://BUCKET/KEY, s3://BUCKET/PREFIX/ or s3://BUCKET/PREFIX/*.dump") }
            return
        }
        if let scheme = location.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression), !location.hasPrefix("file://") {
            throw node.error("unsupported location scheme '\(location[scheme])'; use a path, file:// or s3://")
        }
    }

    static func parsePostgres(_ node: YAMLValue?) throws(ConfigError) -> DrillFile.Postgres {
        var result = DrillFile.Postgres(
            provisioner: "pg_ctl", version: nil, binDirectory: nil, osUser: "postgres", listenOnLoopback: false, settings: [:])
        guard let node else { return result }
        try node.rejectUnknownKeys(["provisioner", "version", "bin_dir", "os_user", "listen_on_loopback", "settings", "preload", "dsn", "allow_hosts", "runtime", "runtime_args", "image", "network", "client_tools"])
        if let provisioner = node["provisioner"] {
            result.provisioner = try provisioner.string()
            guard ["pg_ctl", "docker", "external"].contains(result.provisioner) else {
                throw provisioner.error("unknown provisioner '\(result.provisioner)'; this version supports: pg_ctl, docker, external")
            }
        }
        if result.provisioner == "docker" {
            var options = ContainerOptions()
            if let runtime = node["runtime"] {
                options.runtime = try runtime.string()
                guard options.runtime == "docker" || options.runtime == "podman" else { throw runtime.error("expected docker or podman") }
            }
            options.runtimeArguments = try node["runtime_args"]?.stringList() ?? []
            options.image = try node["image"]?.string()
            if let tools = node["client_tools"] {
                guard let parsed = ContainerOptions.ClientTools(rawValue: try tools.string()) else { throw tools.error("expected auto, local or container") }
                options.clientTools = parsed
            }
            if let network = node["network"] {
                throw network.error(
                    "a drill's container always runs with --network=none (the restored copy must reach nothing); the drill reaches it through a socket, and postgres.listen_on_loopback: true relays 127.0.0.1 to that socket")
            }
            if let value = node["os_user"] {
                throw value.error("os_user belongs to provisioner: pg_ctl; a container's server runs as its image's postgres user")
            }
            result.container = options
        } else {
            for key in ["runtime", "runtime_args", "image", "network", "client_tools"] {
                if let value = node[key] { throw value.error("\(key) belongs to provisioner: docker") }
            }
        }
        if result.isExternal {
            let dsnNode = try node.required("dsn", hint: "the managed instance's connection string, by reference: dsn: env:DRILL_DSN")
            let dsn = try dsnNode.string()
            guard SecretReference.parse(dsn) != nil else {
                throw dsnNode.error("give the DSN by reference (env:NAME, file:PATH or command:CMD): it holds a password")
            }
            result.dsn = dsn
            let hosts = try node.required("allow_hosts", hint: "the hosts this drill may connect to, e.g. allow_hosts: [restored-db.internal]")
            result.allowHosts = try hosts.stringList()
            guard !result.allowHosts.isEmpty else { throw hosts.error("name at least one host: a drill must never reach a host it was not told is a drill target") }
            for key in ["settings", "os_user", "listen_on_loopback", "preload"] {
                if let value = node[key] { throw value.error("\(key) belongs to servers the drill provisions; an external server is configured by its provider") }
            }
        } else {
            for key in ["dsn", "allow_hosts"] {
                if let value = node[key] { throw value.error("\(key) belongs to provisioner: external") }
            }
        }
        if let version = node["version"], try version.string() != "auto" {
            guard let major = Int(try version.string()), major >= 10 else {
                throw version.error("expected auto or a major version such as 15")
            }
            result.version = major
        }
        result.binDirectory = try node["bin_dir"]?.string()
        result.osUser = try node["os_user"]?.string() ?? result.osUser
        result.listenOnLoopback = try node["listen_on_loopback"]?.bool() ?? false
        if let settings = node["settings"] {
            for (key, value) in try settings.entries() {
                if let reason = QuarantineSettings.rejectionReason(for: key) { throw value.error(reason) }
                result.settings[key] = try value.string()
            }
        }
        for item in try node["preload"]?.sequence() ?? [] {
            let library = try item.string()
            guard !library.isEmpty, library.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw item.error("'\(library)' is not a library name; give names as in shared_preload_libraries, e.g. preload: [pg_cron]")
            }
            result.preload.append(library)
        }
        return result
    }

    static func parseRestore(_ node: YAMLValue?) throws(ConfigError) -> DrillFile.Restore {
        guard let node else { return DrillFile.Restore(jobs: nil, dropOwnership: true) }
        try node.rejectUnknownKeys(["jobs", "drop_ownership"])
        var jobs: Int?
        if let jobsNode = node["jobs"] {
            jobs = try jobsNode.int()
            guard jobs! >= 1 else { throw jobsNode.error("jobs must be at least 1") }
        }
        return DrillFile.Restore(jobs: jobs, dropOwnership: try node["drop_ownership"]?.bool() ?? true)
    }

    static func parseVariables(_ node: YAMLValue?) throws(ConfigError) -> [String: DrillFile.Variable] {
        guard let node else { return [:] }
        var result: [String: DrillFile.Variable] = [:]
        for (key, value) in try node.entries() {
            let text = try value.string()
            if let reference = SecretReference.parse(text) {
                result[key] = .secret(reference)
            } else if secretLikeNames.contains(where: { key.lowercased().contains($0) }) {
                throw value.error("looks like a secret written in the file; give a reference instead: env:NAME, file:PATH or command:CMD")
            } else {
                result[key] = .value(text)
            }
        }
        return result
    }

    static func parseRecovery(_ node: YAMLValue?) throws(ConfigError) -> DrillFile.Recovery {
        var recovery = DrillFile.Recovery(
            target: RecoveryTarget(kind: .latest), timeout: .seconds(3600), superuser: nil, allowPreload: [])
        guard let node else { return recovery }
        try node.rejectUnknownKeys(["target", "inclusive", "timeline", "timeout", "superuser", "allow_preload"])
        if let target = node["target"] {
            if let random = try parseRandomTarget(target) {
                recovery.randomWithinWindow = random
            } else {
                recovery.target.kind = try parseTargetKind(target)
            }
        }
        recovery.target.inclusive = try node["inclusive"]?.bool() ?? true
        if let timeline = node["timeline"] {
            let value = try timeline.string()
            guard value == "latest" || value == "current" || UInt32(value) != nil else {
                throw timeline.error("expected latest, current or a timeline number")
            }
            recovery.target.timeline = value
        }
        recovery.timeout = try node["timeout"]?.duration() ?? recovery.timeout
        recovery.superuser = try node["superuser"]?.string()
        recovery.allowPreload = Set(try node["allow_preload"]?.stringList() ?? [])
        return recovery
    }

    /// `random_within_window` or `{random_within_window: {seed: 42}}`; nil for any other target.
    static func parseRandomTarget(_ node: YAMLValue) throws(ConfigError) -> DrillFile.Recovery.RandomWindow? {
        if !node.isMapping { return try node.string() == "random_within_window" ? .init(seed: nil) : nil }
        guard let options = node["random_within_window"] else { return nil }
        if options.isNull { return .init(seed: nil) }
        try options.rejectUnknownKeys(["seed"])
        guard let seedNode = options["seed"] else { return .init(seed: nil) }
        let seed = try seedNode.int()
        guard seed > 0 else { throw seedNode.error("a seed is a whole number above 0") }
        return .init(seed: UInt64(seed))
    }

    static func parseTargetKind(_ node: YAMLValue) throws(ConfigError) -> RecoveryTargetKind {
        let expected = "expected latest, immediate, random_within_window, or one of {time: ...}, {lsn: ...}, {xid: ...}, {name: ...}"
        if !node.isMapping {
            switch try node.string() {
            case "latest": return .latest
            case "immediate": return .immediate
            case let other: throw node.error("unknown target '\(other)'; \(expected)")
            }
        }
        let entries = try node.entries()
        guard entries.count == 1, let (key, value) = entries.first else { throw node.error("give exactly one target; \(expected)") }
        switch key {
        case "time":
            let text = try value.string()
            guard let date = TimestampText.parse(text) else {
                throw value.error("expected a time with its zone, such as 2026-11-24T14:05:00Z or 2026-11-24 14:05:00+01, found '\(text)'")
            }
            return .time(date)
        case "lsn":
            guard let lsn = LSN(try value.string()) else { throw value.error("expected an LSN such as 0/3000028") }
            return .lsn(lsn)
        case "xid":
            guard let xid = UInt64(try value.string()) else { throw value.error("expected a transaction id (a whole number)") }
            return .xid(xid)
        case "name": return .name(try value.string())
        default: throw value.error("unknown target '\(key)'; \(expected)")
        }
    }

    static func parseChecks(_ node: YAMLValue?) throws(ConfigError) -> [CheckReference] {
        guard let node else { return [] }
        let items = node.isSequence ? try node.sequence() : [node]
        var result: [CheckReference] = []
        for item in items { result.append(CheckReference(entry: try item.string(), line: item.line, column: item.column)) }
        return result
    }

    static func parseReports(_ node: YAMLValue?) throws(ConfigError) -> (dir: String?, concurrency: Int?, history: String?) {
        guard let node else { return (nil, nil, nil) }
        try node.rejectUnknownKeys(["dir", "check_concurrency", "history"])
        let history = try node["history"]?.string()
        if let history, history.hasPrefix("s3://") {
            throw node["history"]!.error("the history store is a local folder in this version (keep it on a cache or volume that outlives the runner)")
        }
        return (try node["dir"]?.string(), try node["check_concurrency"]?.int(), history)
    }
}

/// One entry of the drill file's `checks:` list: a pack name, a directory or a file.
public struct CheckReference: Sendable {
    /// As written.
    public var entry: String
    /// Where it was written.
    public var line: Int?
    public var column: Int?
}
