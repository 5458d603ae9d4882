import DrillSupport
import Foundation

/// Writes `junit.xml`, `report.json`, `summary.md` and `report.html` into a directory.
public enum ReportWriter {
    /// The files written, by name.
    public static let fileNames = ["junit.xml", "report.json", "summary.md", "report.html"]

    /// Writes the reports; returns their paths. `history` (the drill's runs, oldest first)
    /// puts RTO and RPO over time into the HTML page.
    @discardableResult
    public static func write(_ report: DrillReport, to directory: String, history: [DrillHistory.Entry] = []) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = try JSONEncoder.drill.encode(report)
        let contents: [(String, Data)] = [
            ("junit.xml", Data(JUnitWriter.render(report).utf8)),
            // Masked value by value: a secret with `"` or `\` is escaped in the JSON text.
            ("report.json", Data(SecretMasker.shared.maskJSONStrings(String(decoding: json, as: UTF8.self)).utf8)),
            ("summary.md", Data(MarkdownSummaryWriter.render(report).utf8)),
            ("report.html", Data(HTMLReportWriter.render(report, history: history).utf8)),
        ]
        var paths: [String] = []
        for (name, data) in contents {
            let path = directory + "/" + name
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            paths.append(path)
        }
        return paths
    }
}
