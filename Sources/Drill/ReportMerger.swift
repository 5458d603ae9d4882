import DrillSupport
import Foundation
import Objects
import Reports

/// Joins the reports of shards (`objects verify --shard i/n` on several machines) into one.
public enum ReportMerger {
    /// Reads `report.json` from each directory and merges them: object counts add up, findings
    /// are joined and the `objects` suite is rebuilt from them; other suites are concatenated;
    /// the status is the worst of the parts.
    public static func merge(directories: [String]) throws -> DrillReport {
        var reports: [DrillReport] = []
        for directory in directories {
            let path = directory + "/report.json"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(file: path, message: "no report.json here: give the --reports folders of the shard runs")
            }
            do {
                reports.append(try JSONDecoder.drill.decode(DrillReport.self, from: data))
            } catch {
                throw ConfigError(file: path, message: "not a restore-drill report: \(YAMLValue.describe(error))")
            }
        }
        guard var merged = reports.first else { throw ConfigError(file: "report merge", message: "give at least one report folder") }
        let shards = reports.compactMap { $0.objects?.shard }
        if Set(shards).count != shards.count {
            throw ConfigError(file: "report merge", message: "the same shard appears twice (\(shards.sorted().joined(separator: ", ")))")
        }
        var suites: [ReportSuite] = []
        for report in reports {
            for suite in report.suites where suite.name != "objects" {
                if let index = suites.firstIndex(where: { $0.name == suite.name }) {
                    suites[index].cases += suite.cases
                    suites[index].seconds = max(suites[index].seconds, suite.seconds)
                } else {
                    suites.append(suite)
                }
            }
        }
        let parts = reports.compactMap(\.objects)
        if let first = parts.first {
            let findings = parts.flatMap(\.findings).sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            let summary = DrillReport.Objects(
                store: first.store, asOf: first.asOf, historyKnown: parts.allSatisfy(\.historyKnown),
                objectsInStore: parts.reduce(0) { $0 + $1.objectsInStore }, objectsInManifest: parts.reduce(0) { $0 + $1.objectsInManifest },
                matched: parts.reduce(0) { $0 + $1.matched }, bytesHashed: parts.reduce(0) { $0 + $1.bytesHashed },
                shard: shards.sorted().joined(separator: "+"), findings: findings)
            let verification = ObjectVerification(
                store: summary.store, point: summary.asOf, historyKnown: summary.historyKnown, objectsInStore: summary.objectsInStore,
                objectsInManifest: summary.objectsInManifest, matched: summary.matched, bytesHashed: summary.bytesHashed,
                findings: findings.compactMap { finding in
                    ObjectVerification.Category(rawValue: finding.category).map {
                        ObjectVerification.Finding(category: $0, key: finding.key, versionID: finding.versionID, detail: finding.detail)
                    }
                },
                closeToThePoint: [])
            let seconds = reports.compactMap { $0.suites.first { $0.name == "objects" }?.seconds }.max() ?? 0
            suites.insert(ReportSuite(name: "objects", kind: .phase, seconds: seconds, cases: ObjectsReporting.cases(verification, seconds: seconds)), at: 0)
            merged.objects = summary
            if shards.count < (reports.first?.objects?.shard.flatMap(Shard.init)?.count ?? shards.count) {
                suites[0].cases.append(
                    ReportCase(
                        name: "every shard is merged", status: .error,
                        message: "\(shards.count) of \(Shard(shards[0])?.count ?? 0) shard reports were given (\(shards.sorted().joined(separator: ", ")))"))
            }
        }
        // A part that did not finish (interrupted, or stopped by a mistake or the harness) leaves the whole unproven.
        let unfinished = zip(directories, reports).filter { ![DrillExitCode.passed.rawValue, DrillExitCode.failed.rawValue].contains($0.1.exitCode) }
        if !unfinished.isEmpty {
            let parts = unfinished.map { "\($0.0) (\($0.1.drill), exit \($0.1.exitCode))" }
            let item = ReportCase(name: "every part finished", status: .error, message: "\(unfinished.count) part(s) did not finish: \(parts.joined(separator: ", "))")
            if let index = suites.firstIndex(where: { $0.name == "merge" }) { suites[index].cases.append(item) } else {
                suites.append(ReportSuite(name: "merge", kind: .phase, cases: [item]))
            }
        }
        let exit = DrillVerdict.exitCode(for: suites.flatMap(\.cases))
        var result = DrillReport(
            drill: merged.drill, status: DrillVerdict.status(for: exit), exitCode: exit.rawValue,
            startedAt: reports.map(\.startedAt).min()!, finishedAt: reports.map(\.finishedAt).max()!, backup: merged.backup, postgres: merged.postgres,
            recovery: merged.recovery, measurements: merged.measurements, targets: merged.targets,
            properties: merged.properties.merging(["merged.shards": shards.sorted().joined(separator: ", ")]) { $1 }, suites: suites)
        result.objects = merged.objects
        return result
    }
}
