import DrillSupport
import Foundation

/// Every drill run's record, kept so restore times can be followed over time: one file per run
/// (`FOLDER/DRILL/20261201T230000Z-RUNID.json`: the report as written, the run id, the tool's
/// version), never rewritten. A file per run needs no lock; one cut short by a crash is skipped
/// when read (and counted).
public enum DrillHistory {
    /// What `history` reads back from one record.
    public struct Entry: Sendable, Equatable {
        public var runID: String
        public var drill: String
        public var status: String
        public var startedAt: Date
        public var rtoSeconds: Double?
        public var rpoSeconds: Double?
        public var rtoTargetSeconds: Double?
        public var rpoTargetSeconds: Double?
        public var host: String
        public var toolVersion: String

        public init(
            runID: String, drill: String, status: String, startedAt: Date, rtoSeconds: Double?, rpoSeconds: Double?, rtoTargetSeconds: Double?,
            rpoTargetSeconds: Double?, host: String, toolVersion: String
        ) {
            self.runID = runID
            self.drill = drill
            self.status = status
            self.startedAt = startedAt
            self.rtoSeconds = rtoSeconds
            self.rpoSeconds = rpoSeconds
            self.rtoTargetSeconds = rtoTargetSeconds
            self.rpoTargetSeconds = rpoTargetSeconds
            self.host = host
            self.toolVersion = toolVersion
        }
    }

    /// A folder-safe form of a drill's name.
    static func slug(_ name: String) -> String {
        let kept = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" }
        let text = String(kept).trimmingCharacters(in: CharacterSet(charactersIn: ".-"))
        return text.isEmpty ? "drill" : text
    }

    /// Appends a run: `reportJSON` is report.json's text exactly as written (masked).
    @discardableResult
    public static func append(reportJSON: String, drill: String, startedAt: Date, to folder: String, runID: String, toolVersion: String) throws -> String {
        let directory = folder + "/" + slug(drill)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stamp = String(TimestampText.iso(startedAt).prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
        let path = directory + "/\(stamp)-\(runID.prefix(8)).json"
        let record = "{\"run_id\": \"\(runID)\", \"tool_version\": \"\(toolVersion)\", \"report\": \(reportJSON)}\n"
        try Data(record.utf8).write(to: URL(fileURLWithPath: path), options: [.withoutOverwriting])
        return path
    }

    /// Every run recorded in `folder` (of `drill` only when given), since `since`, oldest first.
    /// Files that are not records are skipped; how many is returned too.
    public static func load(folder: String, drill: String? = nil, since: Date? = nil) -> (entries: [Entry], unreadable: Int) {
        let manager = FileManager.default
        let drills = drill.map { [slug($0)] } ?? ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        var entries: [Entry] = []
        var unreadable = 0
        for name in drills {
            for file in ((try? manager.contentsOfDirectory(atPath: folder + "/" + name)) ?? []).sorted() where file.hasSuffix(".json") {
                guard let data = manager.contents(atPath: folder + "/" + name + "/" + file), let entry = entry(data) else {
                    unreadable += 1
                    continue
                }
                if let since, entry.startedAt < since { continue }
                entries.append(entry)
            }
        }
        return (entries.sorted { $0.startedAt < $1.startedAt }, unreadable)
    }

    static func entry(_ data: Data) -> Entry? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let report = object["report"] as? [String: Any],
            let drill = report["drill"] as? String, let status = report["status"] as? String,
            let started = (report["started_at"] as? String).flatMap(TimestampText.parse)
        else { return nil }
        let measurements = report["measurements"] as? [String: Any]
        let targets = report["targets"] as? [String: Any]
        return Entry(
            runID: object["run_id"] as? String ?? "", drill: drill, status: status, startedAt: started,
            rtoSeconds: (measurements?["rto_seconds"] as? NSNumber)?.doubleValue, rpoSeconds: (measurements?["rpo_seconds"] as? NSNumber)?.doubleValue,
            rtoTargetSeconds: (targets?["rto_seconds"] as? NSNumber)?.doubleValue, rpoTargetSeconds: (targets?["rpo_seconds"] as? NSNumber)?.doubleValue,
            host: report["hostname"] as? String ?? "", toolVersion: object["tool_version"] as? String ?? "")
    }

    /// How a drill's restore times evolve.
    public struct Trend: Sendable, Equatable {
        public var runs: Int
        public var passed: Int
        public var medianRTO: Double?
        public var p90RTO: Double?
        public var lastRTO: Double?
        public var medianRPO: Double?
        public var lastRPO: Double?
        /// Why the RTO is creeping towards its target, when it is.
        public var warning: String?
    }

    /// The trend of one drill's runs (oldest first). The RTO creeps when the last run used 80% or
    /// more of its target, or when it grew three runs in a row to more than 1.2 × the median.
    public static func trend(_ runs: [Entry]) -> Trend {
        let rtos = runs.compactMap(\.rtoSeconds)
        let rpos = runs.compactMap(\.rpoSeconds)
        var trend = Trend(
            runs: runs.count, passed: runs.filter { $0.status == "passed" }.count, medianRTO: percentile(rtos, 0.5), p90RTO: percentile(rtos, 0.9),
            lastRTO: rtos.last, medianRPO: percentile(rpos, 0.5), lastRPO: rpos.last, warning: nil)
        if let last = rtos.last, let target = runs.last(where: { $0.rtoSeconds != nil })?.rtoTargetSeconds, target > 0, last >= 0.8 * target {
            trend.warning = "the last RTO (\(format(last))) used \(Int((last / target * 100).rounded()))% of its target (\(format(target)))"
        } else if rtos.count >= 3, let median = trend.medianRTO {
            let recent = Array(rtos.suffix(3))
            if recent[0] < recent[1], recent[1] < recent[2], recent[2] > 1.2 * median {
                trend.warning = "the RTO grew three runs in a row, to \(format(recent[2])) against a median of \(format(median))"
            }
        }
        return trend
    }

    /// The nearest-rank percentile.
    static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = max(1, Int((fraction * Double(sorted.count)).rounded(.up)))
        return sorted[min(sorted.count, rank) - 1]
    }

    public static func format(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1fs", seconds) : DrillDuration.format(.seconds(seconds))
    }
}
