import DrillSupport
import Foundation
import Recovery

/// `restore-drill plan --json`: what a run would do, for tooling. Values not known are null.
public struct PlanSummary: Encodable, Sendable {
    struct Backup: Encodable, Sendable {
        var location: String
        var format: String
        var sha256: String?
        var size: Int64?
        var createdAt: String?
        var metadata: String?
        var sourceVersion: String?
        /// Every file of the backup besides the artifact (a roles file, the CLI's other parts).
        var parts: [String]
        /// How it was chosen among several (`backup.select`), when the location names several.
        var selection: Selection?

        struct Selection: Encodable, Sendable {
            struct Candidate: Encodable, Sendable {
                var name: String
                var time: String?
                var timeSource: String
                enum CodingKeys: String, CodingKey { case name, time, timeSource = "time_source" }
            }
            var rule: String
            var candidates: Int
            /// Every backup the location holds, newest first.
            var listing: [Candidate]
            var chosen: String
            var reason: String
            var seed: UInt64?
        }

        enum CodingKeys: String, CodingKey {
            case location, format, sha256, size, createdAt = "created_at", metadata, sourceVersion = "source_version", parts, selection
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(location, forKey: .location)
            try container.encode(format, forKey: .format)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(size, forKey: .size)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(metadata, forKey: .metadata)
            try container.encode(sourceVersion, forKey: .sourceVersion)
            try container.encode(parts, forKey: .parts)
            try container.encode(selection, forKey: .selection)
        }
    }

    struct Server: Encodable, Sendable {
        var major: Int
        var version: String
        var binDirectory: String
        var provisioner: String
        var database: String

        enum CodingKeys: String, CodingKey { case major, version, binDirectory = "bin_dir", provisioner, database }
    }

    struct Recovery: Encodable, Sendable {
        var target: String
        var value: String
        var baseBackup: String
        var reason: String
        var firstSegment: String
        var lastSegment: String
        var missingSegments: [String]

        enum CodingKeys: String, CodingKey {
            case target, value, baseBackup = "base_backup", reason, firstSegment = "first_segment", lastSegment = "last_segment"
            case missingSegments = "missing_segments"
        }
    }

    struct Check: Encodable, Sendable {
        var id: String
        var name: String
        var pack: String
        var kind: String
        var timeoutSeconds: Double
        var file: String

        enum CodingKeys: String, CodingKey { case id, name, pack, kind, timeoutSeconds = "timeout_seconds", file }
    }

    struct LeftOut: Encodable, Sendable {
        var id: String
        var reason: String
    }

    var drill: String
    var backup: Backup
    var server: Server
    var recovery: Recovery?
    var targets: [String: Double]
    var checks: [Check]
    var leftOut: [LeftOut]
    var reports: String

    enum CodingKeys: String, CodingKey { case drill, backup, server, recovery, targets, checks, leftOut = "left_out", reports }

    /// Writes `recovery` as null for a logical drill.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(drill, forKey: .drill)
        try container.encode(backup, forKey: .backup)
        try container.encode(server, forKey: .server)
        try container.encode(recovery, forKey: .recovery)
        try container.encode(targets, forKey: .targets)
        try container.encode(checks, forKey: .checks)
        try container.encode(leftOut, forKey: .leftOut)
        try container.encode(reports, forKey: .reports)
    }

    /// The summary of `plan`.
    public init(_ plan: DrillPlan) {
        drill = plan.file.name
        backup = Backup(
            location: plan.sourceLocation, format: plan.formatName, sha256: plan.expectedSHA256, size: plan.expectedSize,
            createdAt: plan.backupCreatedAt.map(TimestampText.iso), metadata: plan.metadataPath, sourceVersion: plan.sourceServerVersion,
            parts: plan.logical?.partFiles ?? [],
            selection: plan.logical?.located.flatMap { located in
                located.choice.map {
                    Backup.Selection(
                        rule: (plan.file.backup.select ?? .latest).description, candidates: located.candidates,
                        listing: located.listing.map { .init(name: $0.name, time: $0.time.map(TimestampText.iso), timeSource: $0.timeSource) },
                        chosen: located.url, reason: $0.reason,
                        seed: $0.seed)
                }
            })
        server = Server(
            major: plan.majorVersion, version: plan.serverBinaries.version, binDirectory: plan.serverBinaries.directory,
            provisioner: plan.file.postgres.provisioner, database: plan.database)
        recovery = plan.physical.map { physical in
            Recovery(
                target: physical.target.typeName, value: physical.target.valueText, baseBackup: physical.choice.backup.name,
                reason: physical.choice.reason, firstSegment: physical.preflight.first.description, lastSegment: physical.preflight.last.description,
                missingSegments: physical.preflight.missing.map(\.description))
        }
        targets = ["rto_seconds": plan.file.targets.rto.seconds, "rpo_seconds": plan.file.targets.rpo.seconds]
        checks = plan.checks.map {
            Check(id: $0.id, name: $0.name, pack: $0.pack, kind: $0.kind.name, timeoutSeconds: $0.timeout.seconds, file: $0.file)
        }
        leftOut = plan.checksLeftOut.map { LeftOut(id: $0.id, reason: plan.leftOutReasons[$0.id] ?? "--only/--skip") }
        reports = plan.reportsDirectory
    }

    /// Pretty, sorted JSON.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}
