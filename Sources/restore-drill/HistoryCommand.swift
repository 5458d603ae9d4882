import ArgumentParser
import Drill
import DrillSupport
import Foundation
import Reports

/// `restore-drill history`: the runs a history folder recorded, with their RTO and RPO and the trend.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show recorded drill runs with their RTO, RPO and trend (median, p90, last against the median).",
        discussion: """
            Every run appends its record to REPORTS/history (or reports.history, or run --history). The trend
            flags an RTO creeping towards its target: the last run used 80% of it or more, or the RTO grew three
            runs in a row to more than 1.2 times the median.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Argument(help: "Only this drill (its name as in the drill file).") var name: String?
    @Option(name: .long, help: "The history folder.") var dir = "reports/history"
    @Option(name: .long, help: "Only runs started within this long (e.g. 90d).") var since: String?
    @Option(name: .long, help: "table, json or csv.") var format: Format = .table

    func run() async throws {
        var from: Date?
        if let since {
            guard let window = DrillDuration.parse(since) else { throw ValidationError("--since takes a duration such as 30d or 12h") }
            from = Date().addingTimeInterval(-window.seconds)
        }
        guard FileManager.default.fileExists(atPath: dir) else {
            throw Conclusion.fail(ConfigError(file: dir, message: "no history folder here: drills write REPORTS/history (or give --dir)"))
        }
        let (entries, unreadable) = DrillHistory.load(folder: dir, drill: name, since: from)
        let drills = Dictionary(grouping: entries, by: \.drill)
        switch format {
        case .json: Swift.print(HistoryRendering.json(drills))
        case .csv: Swift.print(HistoryRendering.csv(entries), terminator: "")
        case .table: Swift.print(HistoryRendering.table(drills), terminator: "")
        }
        if unreadable > 0 { FileHandle.standardError.write(Data("restore-drill: warning: \(unreadable) file(s) in \(dir) are not run records\n".utf8)) }
        if entries.isEmpty { FileHandle.standardError.write(Data("restore-drill: no runs recorded in \(dir)\(name.map { " for \($0)" } ?? "")\n".utf8)) }
    }
}

/// The history's three forms.
enum HistoryRendering {
    static func seconds(_ value: Double?) -> String { value.map(DrillHistory.format) ?? "-" }

    static func table(_ drills: [String: [DrillHistory.Entry]]) -> String {
        var out = ""
        for (drill, runs) in drills.sorted(by: { $0.key < $1.key }) {
            out += "\(drill): \(runs.count) run(s)\n"
            out += "  started                status  RTO       RPO       host\n"
            for run in runs {
                out += "  " + [
                    TimestampText.iso(run.startedAt).prefix(19) + "Z", run.status.padding(toLength: 6, withPad: " ", startingAt: 0),
                    seconds(run.rtoSeconds).padding(toLength: 8, withPad: " ", startingAt: 0), seconds(run.rpoSeconds).padding(toLength: 8, withPad: " ", startingAt: 0),
                    run.host,
                ].joined(separator: "  ") + "\n"
            }
            let trend = DrillHistory.trend(runs)
            out += "  trend: \(trend.passed)/\(trend.runs) passed; RTO median \(seconds(trend.medianRTO)), p90 \(seconds(trend.p90RTO)), last \(seconds(trend.lastRTO))"
            if let last = trend.lastRTO, let median = trend.medianRTO, median > 0 { out += String(format: " (%.2f× the median)", last / median) }
            out += "; RPO median \(seconds(trend.medianRPO)), last \(seconds(trend.lastRPO))\n"
            if let warning = trend.warning { out += "  WARNING: RTO creeping: \(warning)\n" }
        }
        return out
    }

    static func csv(_ entries: [DrillHistory.Entry]) -> String {
        let quote = { (text: String) in text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text }
        var out = "drill,run_id,started_at,status,rto_seconds,rpo_seconds,rto_target_seconds,rpo_target_seconds,host,tool_version\n"
        for entry in entries {
            let fields = [
                quote(entry.drill), entry.runID, TimestampText.iso(entry.startedAt), entry.status, entry.rtoSeconds.map { String($0) } ?? "",
                entry.rpoSeconds.map { String($0) } ?? "", entry.rtoTargetSeconds.map { String($0) } ?? "", entry.rpoTargetSeconds.map { String($0) } ?? "",
                quote(entry.host), entry.toolVersion,
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    static func json(_ drills: [String: [DrillHistory.Entry]]) -> String {
        let value: [[String: Any]] = drills.sorted(by: { $0.key < $1.key }).map { drill, runs in
            let trend = DrillHistory.trend(runs)
            return [
                "drill": drill,
                "runs": runs.map { run -> [String: Any] in
                    [
                        "run_id": run.runID, "started_at": TimestampText.iso(run.startedAt), "status": run.status,
                        "rto_seconds": run.rtoSeconds as Any? ?? NSNull(), "rpo_seconds": run.rpoSeconds as Any? ?? NSNull(), "host": run.host,
                        "tool_version": run.toolVersion,
                    ]
                },
                "trend": [
                    "runs": trend.runs, "passed": trend.passed, "median_rto_seconds": trend.medianRTO as Any? ?? NSNull(),
                    "p90_rto_seconds": trend.p90RTO as Any? ?? NSNull(), "last_rto_seconds": trend.lastRTO as Any? ?? NSNull(),
                    "median_rpo_seconds": trend.medianRPO as Any? ?? NSNull(), "last_rpo_seconds": trend.lastRPO as Any? ?? NSNull(),
                    "warning": trend.warning as Any? ?? NSNull(),
                ],
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
