import Foundation

/// A drill's outcome as a Prometheus textfile (node_exporter's textfile collector format), so
/// a missing success alerts as surely as a failure: the last success's time is kept from the
/// file's previous content when this run did not pass.
public enum PrometheusTextfile {
    /// The file's text for `report`, keeping the last success recorded in `previous` (the file
    /// as it was) when this run did not pass.
    public static func text(for report: DrillReport, previous: String?) -> String {
        let label = "{drill=\"\(escape(report.drill))\"}"
        let finished = report.finishedAt.timeIntervalSince1970
        let lastSuccess = report.status == .passed ? finished : previous.flatMap { value(of: "restore_drill_last_success_timestamp_seconds", label: label, in: $0) }
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ value: Double?) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            // A missing measurement is left out rather than written as a made-up number.
            if let value { lines.append("\(name)\(label) \(format(value))") }
        }
        gauge("restore_drill_last_run_timestamp_seconds", "When the drill last finished (Unix time).", finished)
        gauge("restore_drill_last_success_timestamp_seconds", "When the drill last passed (Unix time).", lastSuccess)
        gauge("restore_drill_last_run_passed", "1 when the last run passed, else 0.", report.status == .passed ? 1 : 0)
        gauge("restore_drill_exit_code", "The last run's exit code (0 passed, 1 failed, 2 configuration, 3 harness error).", Double(report.exitCode))
        gauge("restore_drill_rto_seconds", "Measured restore time of the last run.", report.measurements.rtoSeconds)
        gauge("restore_drill_rpo_seconds", "Measured data loss window of the last run.", report.measurements.rpoSeconds)
        gauge("restore_drill_rto_target_seconds", "The drill file's RTO target.", report.targets.rtoSeconds)
        gauge("restore_drill_rpo_target_seconds", "The drill file's RPO target.", report.targets.rpoSeconds)
        gauge("restore_drill_checks_failed", "Checks of the last run that failed or errored.", Double(report.checks.filter { $0.status == .failed || $0.status == .error }.count))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the text to `path` through a temporary file in the same folder and a rename, so
    /// the collector never reads half a file.
    public static func write(for report: DrillReport, to path: String) throws {
        let previous = try? String(contentsOfFile: path, encoding: .utf8)
        let temporary = path + ".tmp-\(getpid())"
        try text(for: report, previous: previous).write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot move \(temporary) to \(path): \(reason)"])
        }
    }

    static func value(of metric: String, label: String, in text: String) -> Double? {
        let prefix = metric + label + " "
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            return Double(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A label value: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.6f", value)
    }
}
