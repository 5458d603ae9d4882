import DrillSupport
import Foundation
import Objects
import Reports

/// Turns an object-store comparison into report entries: one JUnit case per category with the
/// first keys in its message, every finding in `report.json` and in `objects.jsonl`.
public enum ObjectsReporting {
    /// Keys named in a case's message.
    static let keysInMessage = 10

    /// Case names and what a finding in each category means.
    static let categories: [(ObjectVerification.Category, String, String)] = [
        (.missing, "objects in the manifest are present", "missing from the store"),
        (.changed, "objects have the recorded size and sha256", "changed"),
        (.extra, "no objects outside the manifest", "not in the manifest"),
        (.unreadable, "every object can be read", "unreadable"),
        (.unavailable, "the store answered every read", "could not be read because the store kept failing"),
    ]

    /// The `objects` suite's cases.
    public static func cases(_ verification: ObjectVerification, seconds: Double) -> [ReportCase] {
        var listing = [
            "\(verification.objectsInStore) object(s) in \(verification.store)"
                + (verification.point.map { " as of \(TimestampText.iso($0))" } ?? " now"),
            "\(verification.objectsInManifest) in the manifest, \(verification.matched) matched, \(ByteCount(verification.bytesHashed)) read and hashed",
        ]
        if !verification.historyKnown {
            listing.append("the store keeps no versions: its current objects were compared, whatever the point")
        }
        if !verification.closeToThePoint.isEmpty {
            listing.append(
                "\(verification.closeToThePoint.count) object(s) were written within a second of the point (listings give whole seconds): "
                    + verification.closeToThePoint.prefix(5).joined(separator: ", "))
        }
        var result = [ReportCase(name: "objects listed", status: .passed, seconds: seconds, output: listing.joined(separator: "\n"))]
        for (category, name, meaning) in categories {
            let found = verification.findings(category)
            guard !found.isEmpty else {
                if category != .unavailable { result.append(ReportCase(name: name, status: .passed)) }
                continue
            }
            let first = found.prefix(keysInMessage).map(\.key).joined(separator: ", ")
            let more = found.count > keysInMessage ? ", … (\(found.count - keysInMessage) more in objects.jsonl)" : ""
            let message = "\(found.count) object(s) \(meaning): \(first)\(more)"
            result.append(
                ReportCase(
                    name: name, status: category == .unavailable ? .error : .failed, message: message,
                    detail: found.prefix(100).map { "\($0.key)\($0.versionID.map { " (version \($0))" } ?? ""): \($0.detail)" }.joined(separator: "\n")))
        }
        return result
    }

    /// The `report.json` section.
    public static func summary(_ verification: ObjectVerification, shard: Shard?) -> DrillReport.Objects {
        DrillReport.Objects(
            store: verification.store, asOf: verification.point, historyKnown: verification.historyKnown,
            objectsInStore: verification.objectsInStore, objectsInManifest: verification.objectsInManifest, matched: verification.matched,
            bytesHashed: verification.bytesHashed, shard: shard?.description,
            findings: verification.findings.map { .init(category: $0.category.rawValue, key: $0.key, versionID: $0.versionID, detail: $0.detail) })
    }

    /// Writes every finding as a JSON line to `objects.jsonl` in `directory`.
    @discardableResult
    public static func writeFindings(_ findings: [DrillReport.Objects.Finding], to directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for finding in findings {
            data.append(try encoder.encode(finding))
            data.append(0x0A)
        }
        let path = directory + "/objects.jsonl"
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
