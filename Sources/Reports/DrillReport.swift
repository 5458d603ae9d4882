import DrillSupport
import Foundation

/// Outcome of one report entry. `failed`: the backup or the restored system is wrong.
/// `error`: the harness could not perform the step.
public enum CaseStatus: String, Sendable, Codable {
    case passed, failed, error, skipped
}

/// One test case: a step of a phase, or a check.
public struct ReportCase: Sendable, Codable {
    /// Case name (`sha256 matches the recorded checksum`, a check's name).
    public var name: String
    /// Stable id when the case is a check.
    public var id: String?
    /// Outcome.
    public var status: CaseStatus
    /// Wall time in seconds.
    public var seconds: Double
    /// One-line reason for anything but passed.
    public var message: String?
    /// Longer detail: tool output, server log tail.
    public var detail: String?
    /// Standard output of a command, or what the step observed.
    public var output: String?
    /// Standard error of a command.
    public var errorOutput: String?

    /// Creates a case.
    enum CodingKeys: String, CodingKey { case name, id, status, seconds, message, detail, output, errorOutput = "error_output" }

    public init(
        name: String, id: String? = nil, status: CaseStatus, seconds: Double = 0, message: String? = nil,
        detail: String? = nil, output: String? = nil
    ) {
        self.name = name
        self.id = id
        self.status = status
        self.seconds = seconds
        self.message = message
        self.detail = detail
        self.output = output
    }
}

/// A group of cases: one per drill phase and one per check pack.
public struct ReportSuite: Sendable, Codable {
    /// `phase` or `checks`.
    public enum Kind: String, Sendable, Codable { case phase, checks }

    /// Suite name (`verify`, `checks.app-example`).
    public var name: String
    /// Phase or check pack.
    public var kind: Kind
    /// Wall time in seconds.
    public var seconds: Double
    /// The cases in a stable order.
    public var cases: [ReportCase]

    /// Creates a suite.
    public init(name: String, kind: Kind, seconds: Double = 0, cases: [ReportCase] = []) {
        self.name = name
        self.kind = kind
        self.seconds = seconds
        self.cases = cases
    }

    /// Worst outcome of its cases: error > failed > passed; skipped-only is skipped.
    public var status: CaseStatus {
        if cases.contains(where: { $0.status == .error }) { return .error }
        if cases.contains(where: { $0.status == .failed }) { return .failed }
        if !cases.isEmpty, cases.allSatisfy({ $0.status == .skipped }) { return .skipped }
        return .passed
    }
}

/// Everything a drill found, from which JUnit, JSON and Markdown are written.
public struct DrillReport: Sendable, Codable {
    /// The overall outcome.
    public enum Status: String, Sendable, Codable { case passed, failed, error }

    /// The backup that was drilled.
    public struct Backup: Sendable, Codable {
        public var location: String
        public var sha256: String?
        public var size: Int64?
        public var format: String
        public var createdAt: Date?

        enum CodingKeys: String, CodingKey { case location, sha256, size, format, createdAt = "created_at" }

        /// What is not known about the backup is `null`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(location, forKey: .location)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(size, forKey: .size)
            try container.encode(format, forKey: .format)
            try container.encode(createdAt, forKey: .createdAt)
        }

        public init(location: String, sha256: String? = nil, size: Int64? = nil, format: String, createdAt: Date? = nil) {
            self.location = location
            self.sha256 = sha256
            self.size = size
            self.format = format
            self.createdAt = createdAt
        }
    }

    /// The throwaway server.
    public struct Postgres: Sendable, Codable {
        public var version: String?
        public var provisioner: String
        public var database: String?

        public init(version: String? = nil, provisioner: String, database: String? = nil) {
            self.version = version
            self.provisioner = provisioner
            self.database = database
        }

        enum CodingKeys: String, CodingKey { case version, provisioner, database }

        /// What is not known about the server is `null`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(version, forKey: .version)
            try container.encode(provisioner, forKey: .provisioner)
            try container.encode(database, forKey: .database)
        }
    }

    /// Where a physical recovery was aimed and where it stopped.
    public struct Recovery: Sendable, Codable {
        /// `{type, value}` of the target.
        public struct Target: Sendable, Codable {
            public var type: String
            public var value: String

            public init(type: String, value: String) {
                self.type = type
                self.value = value
            }
        }

        public var target: Target
        public var reached: Bool
        public var lastCommitTime: Date?
        public var endLSN: String?
        public var timeline: UInt32?
        public var baseBackup: String?

        enum CodingKeys: String, CodingKey {
            case target, reached, lastCommitTime = "last_commit_time", endLSN = "end_lsn", timeline, baseBackup = "base_backup"
        }

        public init(target: Target, reached: Bool, lastCommitTime: Date?, endLSN: String?, timeline: UInt32?, baseBackup: String?) {
            self.target = target
            self.reached = reached
            self.lastCommitTime = lastCommitTime
            self.endLSN = endLSN
            self.timeline = timeline
            self.baseBackup = baseBackup
        }
    }

    /// A phase's summary line.
    public struct Phase: Sendable, Codable {
        public var name: String
        public var status: CaseStatus
        public var seconds: Double
    }

    /// A check's summary line.
    public struct Check: Sendable, Codable {
        public var id: String
        public var name: String
        public var pack: String
        public var status: CaseStatus
        public var seconds: Double
        public var message: String?
    }

    /// Measured values in seconds; nil when not measured.
    public struct Measurements: Sendable, Codable {
        public var rtoSeconds: Double?
        public var rpoSeconds: Double?
        public var backupAgeSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case rtoSeconds = "rto_seconds", rpoSeconds = "rpo_seconds", backupAgeSeconds = "backup_age_seconds"
        }

        /// A measurement not taken is `null`, never left out: a reader tells "not measured" from "not written".
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(rtoSeconds, forKey: .rtoSeconds)
            try container.encode(rpoSeconds, forKey: .rpoSeconds)
            try container.encode(backupAgeSeconds, forKey: .backupAgeSeconds)
        }

        public init(rtoSeconds: Double? = nil, rpoSeconds: Double? = nil, backupAgeSeconds: Double? = nil) {
            self.rtoSeconds = rtoSeconds
            self.rpoSeconds = rpoSeconds
            self.backupAgeSeconds = backupAgeSeconds
        }
    }

    /// Targets from the drill file, in seconds.
    public struct Targets: Sendable, Codable {
        public var rtoSeconds: Double?
        public var rpoSeconds: Double?

        enum CodingKeys: String, CodingKey { case rtoSeconds = "rto_seconds", rpoSeconds = "rpo_seconds" }

        /// A target not set is `null`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(rtoSeconds, forKey: .rtoSeconds)
            try container.encode(rpoSeconds, forKey: .rpoSeconds)
        }

        public init(rtoSeconds: Double? = nil, rpoSeconds: Double? = nil) {
            self.rtoSeconds = rtoSeconds
            self.rpoSeconds = rpoSeconds
        }
    }

    /// The object-store comparison, every finding listed (JUnit carries the first few per category).
    public struct Objects: Sendable, Codable {
        /// One object that did not match.
        public struct Finding: Sendable, Codable {
            public var category: String
            public var key: String
            public var versionID: String?
            public var detail: String
            enum CodingKeys: String, CodingKey { case category, key, versionID = "version_id", detail }
            public init(category: String, key: String, versionID: String?, detail: String) {
                self.category = category
                self.key = key
                self.versionID = versionID
                self.detail = detail
            }
        }

        public var store: String
        public var asOf: Date?
        public var historyKnown: Bool
        public var objectsInStore: Int
        public var objectsInManifest: Int
        public var matched: Int
        public var bytesHashed: Int64
        public var shard: String?
        public var findings: [Finding]

        enum CodingKeys: String, CodingKey {
            case store, asOf = "as_of", historyKnown = "history_known", objectsInStore = "objects_in_store"
            case objectsInManifest = "objects_in_manifest", matched, bytesHashed = "bytes_hashed", shard, findings
        }

        public init(
            store: String, asOf: Date?, historyKnown: Bool, objectsInStore: Int, objectsInManifest: Int, matched: Int, bytesHashed: Int64,
            shard: String?, findings: [Finding]
        ) {
            self.store = store
            self.asOf = asOf
            self.historyKnown = historyKnown
            self.objectsInStore = objectsInStore
            self.objectsInManifest = objectsInManifest
            self.matched = matched
            self.bytesHashed = bytesHashed
            self.shard = shard
            self.findings = findings
        }
    }

    /// Layout version of `report.json`.
    public var schemaVersion = 1
    public var drill: String
    public var status: Status
    public var exitCode: Int32
    public var startedAt: Date
    public var finishedAt: Date
    public var hostname: String
    public var backup: Backup
    public var postgres: Postgres
    /// Present for physical (point-in-time) drills.
    public var recovery: Recovery?
    public var phases: [Phase]
    public var checks: [Check]
    public var measurements: Measurements
    public var targets: Targets
    public var properties: [String: String]
    public var suites: [ReportSuite]
    /// Present when the drill compared an object store.
    public var objects: Objects?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", drill, status, exitCode = "exit_code", startedAt = "started_at"
        case finishedAt = "finished_at", hostname, backup, postgres, recovery, phases, checks, measurements, targets, properties, suites
        case objects
    }

    /// Builds a report; `phases` and `checks` are derived from the suites.
    public init(
        drill: String, status: Status, exitCode: Int32, startedAt: Date, finishedAt: Date, backup: Backup, postgres: Postgres,
        recovery: Recovery? = nil, measurements: Measurements, targets: Targets, properties: [String: String], suites: [ReportSuite]
    ) {
        self.drill = drill
        self.status = status
        self.exitCode = exitCode
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.hostname = ProcessInfo.processInfo.hostName
        self.backup = backup
        self.postgres = postgres
        self.recovery = recovery
        self.measurements = measurements
        self.targets = targets
        self.properties = properties
        self.suites = suites
        self.phases = suites.filter { $0.kind == .phase }.map { Phase(name: $0.name, status: $0.status, seconds: $0.seconds) }
        self.checks = suites.filter { $0.kind == .checks }.flatMap { suite in
            suite.cases.map {
                Check(
                    id: $0.id ?? $0.name, name: $0.name, pack: String(suite.name.dropFirst("checks.".count)), status: $0.status,
                    seconds: $0.seconds, message: $0.message)
            }
        }
    }

    /// All cases of all suites.
    public var allCases: [ReportCase] { suites.flatMap(\.cases) }
}
