import Checks
import ConfigBundles
import Objects
import DrillSupport
import Foundation
import Recovery
import Restore

/// Feeds untrusted bytes to every parser that reads input a drill does not control: drill
/// files, check files, backup metadata, backup labels and history files, pg_restore TOC
/// headers and tables of contents, plain dumps' entry comments, server logs, WAL file names, timestamps and LSNs, `${...}` templates, JSON
/// bodies, TAP streams, `services:` lists, configuration bundles, backup manifests and bucket policies. Each must return a value or a
/// clear error, never crash. Used by the libFuzzer target and the bounded fuzz tests.
public enum ParserFuzzing {
    /// Runs every parser over `data`.
    public static func exercise(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        if let root = try? YAMLValue.parse(text, file: "fuzz.yaml") {
            _ = try? DrillFileParser.parse(root, path: "fuzz.yaml")
            _ = try? CheckLoader.parseCheckForFuzzing(root)
        }
        _ = try? JSONDecoder.drill.decode(BackupMetadata.self, from: data)
        _ = BackupLabel.parse(text)
        _ = DumpInspector.parseTOCHeader(text)
        _ = DumpInspector.parsePlainHeader(text)
        let inventory = InventoryReader.fromList(text)
        _ = (inventory.shape, inventory.summary, Completeness.shapeProblem(inventory, declared: .full))
        var scanner = PlainDumpScanner()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { scanner.observe(line) }
        _ = Completeness.missingObjects(scanner.result, restored: RestoredCatalog(objects: [:], relations: [:]))
        _ = RecoveryLog.parse(text)
        _ = TimestampText.parse(text)
        _ = LSN(text)
        _ = WALSegmentName(text)
        _ = DrillDuration.parse(text)
        _ = SecretReference.parse(text)
        _ = SecretMasker().mask(text)
        // Configuration bundles, backup manifests, WAL headers and bucket settings come from stores the drill does not control.
        for format in ConfigFormat.allCases {
            if let values = try? ConfigParsing.parse(text, format: format) { _ = ConfigRules.unresolvedReferences(values) }
        }
        _ = ConfigMetadata.decode(data)
        _ = BaseBackup.manifestWAL(data)
        _ = WALPageMagic.majorVersion(header: data)
        _ = WALArchive.backupHistory(text: text)
        _ = PostureRules.publicStatements(text)
        ChecksFuzzing.exercise(data)
        ObjectsFuzzing.exercise(data)
        if let root = try? YAMLValue.parse(text, file: "fuzz.yaml") {
            _ = try? ServiceParsing.parse(root, baseDirectory: "/fuzz")
            _ = try? ObjectsParsing.parse(root["objects"] ?? root, baseDirectory: "/fuzz")
        }
    }
}
