import Foundation

/// What `pgbackrest verify` (text summary, log level info) says: the stanza's status, the
/// backup sets it found invalid, and WAL it found invalid.
struct PgBackRestVerifySummary: Equatable {
    /// `ok` or `error`; nil when the summary has no status line.
    var stanzaStatus: String?
    /// Backup sets whose status is not `valid`, with it (`20261201-101500F (invalid)`).
    var invalidSets: [String] = []
    /// Labels of those sets.
    var invalidLabels: Set<String> = []
    /// Archive lines where fewer WAL files were valid than checked.
    var invalidWAL: [String] = []

    init(lines: [String]) {
        for raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let body = line.range(of: "INFO: ").map { String(line[$0.upperBound...]) } ?? line
            if stanzaStatus == nil, body.hasPrefix("status: ") {
                stanzaStatus = String(body.dropFirst("status: ".count))
            } else if body.hasPrefix("backup: ") {
                let fields = Self.fields(body)
                if let label = fields["backup"], let status = fields["status"], status != "valid" {
                    invalidSets.append("\(label) (\(status))")
                    invalidLabels.insert(label)
                }
            } else if body.hasPrefix("archiveId: ") {
                let fields = Self.fields(body)
                if let checked = fields["total WAL checked"].flatMap(Int.init), let valid = fields["total valid WAL"].flatMap(Int.init), valid < checked {
                    invalidWAL.append("archive \(fields["archiveId"] ?? "?"): \(checked - valid) of \(checked) WAL file(s) invalid")
                }
            }
        }
    }

    /// What fails a drill of backup set `chosen`, or nil.
    func problem(for chosen: String) -> String? {
        var problems: [String] = []
        if invalidLabels.contains(chosen) { problems.append("backup set \(invalidSets.first { $0.hasPrefix(chosen) } ?? chosen)") }
        problems += invalidWAL
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// `key: value, key: value` → fields.
    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for part in text.components(separatedBy: ", ") {
            guard let colon = part.range(of: ": ") else { continue }
            fields[String(part[..<colon.lowerBound])] = String(part[colon.upperBound...])
        }
        return fields
    }
}
