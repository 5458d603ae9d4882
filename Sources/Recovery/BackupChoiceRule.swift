import DrillSupport
import Foundation
import Restore

/// How `backup.select` picks one backup among several: the newest (`latest`), the newest
/// inside a window (`latest_within: 7d`), one at random inside a window, reproducibly with a
/// seed (`random_within: 30d`, `seed: 42`), or one by name.
public enum BackupChoiceRule: Sendable, Equatable, CustomStringConvertible {
    case latest
    case latestWithin(Duration)
    case randomWithin(Duration, seed: UInt64?)
    case named(String)

    public var description: String {
        switch self {
        case .latest: return "latest"
        case .latestWithin(let window): return "latest_within \(DrillDuration.format(window))"
        case .randomWithin(let window, let seed): return "random_within \(DrillDuration.format(window))\(seed.map { " (seed \($0))" } ?? "")"
        case .named(let name): return name
        }
    }
}

/// One backup a location holds, as selection sees it.
public struct BackupCandidate: Sendable, Equatable {
    /// Its name (a file or object name, a backup set label).
    public var name: String
    /// When it was taken, if known.
    public var time: Date?
    /// Where `time` came from ("recorded", "modified").
    public var timeSource: String

    public init(name: String, time: Date?, timeSource: String) {
        self.name = name
        self.time = time
        self.timeSource = timeSource
    }
}

/// Applies a `BackupChoiceRule` to candidates.
public enum CandidateSelection {
    /// The chosen candidate, why, and the seed a random choice used (to choose the same again).
    public struct Choice: Sendable, Equatable {
        public var candidate: BackupCandidate
        public var reason: String
        public var seed: UInt64?
    }

    /// Chooses among `candidates` at `now`. A name that is not there is a `SelectionError`
    /// (the drill file is wrong); no candidate inside a window is a failure (the RPO is breached).
    public static func choose(_ candidates: [BackupCandidate], rule: BackupChoiceRule, now: Date, what: String) throws -> Choice {
        guard !candidates.isEmpty else {
            throw RestoreError(.failure, step: "fetch", "\(what) holds no backup: none was written, or they were moved or deleted")
        }
        let newestFirst = candidates.sorted { ($0.time ?? .distantPast, $0.name) > ($1.time ?? .distantPast, $1.name) }
        switch rule {
        case .named(let name):
            guard let found = candidates.first(where: { $0.name == name }) else {
                throw SelectionError(
                    "backup.select names '\(name)', which is not among the \(candidates.count) backup(s) in \(what) (\(newestFirst.prefix(5).map(\.name).joined(separator: ", "))\(candidates.count > 5 ? ", ..." : ""))")
            }
            return Choice(candidate: found, reason: "chosen by name (backup.select)", seed: nil)
        case .latest:
            let newest = newestFirst[0]
            return Choice(candidate: newest, reason: "the newest of \(candidates.count) backup(s)\(stamp(newest))", seed: nil)
        case .latestWithin(let window):
            let inside = try within(window, newestFirst, now: now, what: what)
            return Choice(
                candidate: inside[0], reason: "the newest of \(inside.count) backup(s) taken within \(DrillDuration.format(window))\(stamp(inside[0]))", seed: nil)
        case .randomWithin(let window, let given):
            let inside = try within(window, newestFirst, now: now, what: what).sorted { $0.name < $1.name }
            let seed = given ?? UInt64.random(in: 1...UInt64(Int64.max))
            var generator = SplitMix64(seed: seed)
            let pick = inside[Int(generator.next() % UInt64(inside.count))]
            return Choice(
                candidate: pick,
                reason: "picked at random (seed \(seed)\(given == nil ? ", chosen by this drill: set backup.select.seed: \(seed) to pick the same again" : "")) among \(inside.count) backup(s) taken within \(DrillDuration.format(window))\(stamp(pick))",
                seed: seed)
        }
    }

    /// The candidates taken inside `window` before `now`, newest first; none is a failure (the RPO is breached).
    public static func within(_ window: Duration, _ candidates: [BackupCandidate], now: Date, what: String) throws -> [BackupCandidate] {
        let newestFirst = candidates.sorted { ($0.time ?? .distantPast, $0.name) > ($1.time ?? .distantPast, $1.name) }
        let since = now.addingTimeInterval(-window.seconds)
        let inside = newestFirst.filter { ($0.time ?? .distantPast) >= since }
        guard inside.isEmpty else { return inside }
        let newest = newestFirst[0]
        let age = newest.time.map { DrillDuration.format(.seconds(now.timeIntervalSince($0))) }
        throw RestoreError(
            .failure, step: "backup within the selection window",
            "no backup in \(what) was taken within \(DrillDuration.format(window)) of the drill: the newest, \(newest.name), \(age.map { "is \($0) old (\(newest.timeSource) \(TimestampText.iso(newest.time!)))" } ?? "has no known time"). The backups are older than the RPO allows: check the backup job")
    }

    static func stamp(_ candidate: BackupCandidate) -> String {
        candidate.time.map { ", \(candidate.timeSource) \(TimestampText.iso($0))" } ?? ""
    }
}
