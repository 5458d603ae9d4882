import Checks
import DrillSupport
import Foundation
import Objects
import PostgresClient
import Reports

extension DrillRunner {
    /// The objects phase: lists the store as of the recovery point once, then compares it with
    /// the manifest and with the restored catalog. It records its suite without stopping the
    /// drill, so the checks still run and the report shows every problem at once. Returns
    /// whether everything matched.
    func compareObjects(
        _ section: ObjectsSection, plan: DrillPlan, context: inout CheckContext, scratch: String, recorder: PhaseRecorder, state: inout DrillState
    ) async -> Bool {
        progress.phaseStarted("objects")
        let start = ContinuousClock.now
        var suite = ReportSuite(name: "objects", kind: .phase)
        let point = context.recoveryPoint
        let reporter: @Sendable (String) -> Void = { [progress] line in progress.detail(line) }
        do {
            let store = try await section.spec.open()
            reporter("listing \(store) as of \(point.map(TimestampText.iso) ?? "now")")
            // The manifest is read while the store is listed.
            let manifestPath = section.manifest
            async let reading = BlockingWork.run { try manifestPath.map { try ManifestIndex.read(path: $0) } }
            let listing = try await ObjectsAsOf.list(store, at: point) { seen in reporter("listed \(seen) versions") }
            var summary = DrillReport.Objects(
                store: store.description, asOf: point, historyKnown: listing.historyKnown, objectsInStore: listing.objects.count,
                objectsInManifest: 0, matched: 0, bytesHashed: 0, shard: nil, findings: [])
            if let index = try await reading {
                let verification = try await ObjectVerification.verify(
                    store: store, listing: listing, manifest: index, at: point, shard: nil,
                    parallel: section.parallel ?? max(8, 4 * ProcessInfo.processInfo.activeProcessorCount), onProgress: reporter)
                suite.cases += ObjectsReporting.cases(verification, seconds: (ContinuousClock.now - start).seconds)
                summary = ObjectsReporting.summary(verification, shard: nil)
            } else {
                suite.cases.append(
                    ReportCase(
                        name: "objects listed", status: .passed,
                        output: "\(listing.objects.count) object(s) in \(store)" + (listing.historyKnown ? "" : " (the store keeps no versions: its current objects)")))
            }
            if let catalog = section.catalog {
                let (cases, findings) = try await compareCatalog(catalog, listing: listing, section: section, context: context)
                suite.cases += cases
                summary.findings += findings
            }
            if section.materialize {
                let folder = scratch + "/objects"
                let outcome = try await ObjectMaterializer.materialize(
                    listing.objects, from: store, into: folder, parallel: section.parallel ?? max(8, 4 * ProcessInfo.processInfo.activeProcessorCount))
                context.drillEnvironment["DRILL_OBJECTS_DIR"] = folder
                suite.cases.append(
                    ReportCase(
                        name: "objects copied to the scratch folder", status: outcome.problems.isEmpty ? .passed : .failed,
                        message: outcome.problems.first.map { "\(outcome.problems.count) object(s) not written, first \($0.key): \($0.reason)" },
                        output: "\(outcome.written) object(s), \(ByteCount(outcome.bytes)) in \(folder) (DRILL_OBJECTS_DIR)"))
            }
            state.objects = summary
            _ = try? ObjectsReporting.writeFindings(summary.findings, to: plan.reportsDirectory)
        } catch {
            suite.cases.append(
                ReportCase(name: "object store compared", status: .error, message: SecretMasker.shared.mask("\(error)")))
        }
        suite.seconds = (ContinuousClock.now - start).seconds
        let problem = suite.cases.first { $0.status == .failed || $0.status == .error }
        progress.phaseFinished("objects", status: suite.status, seconds: suite.seconds, message: problem?.message)
        recorder.append(suite)
        return problem == nil
    }

    private func compareCatalog(
        _ catalog: ObjectsSection.Catalog, listing: ObjectsAsOf, section: ObjectsSection, context: CheckContext
    ) async throws -> ([ReportCase], [DrillReport.Objects.Finding]) {
        let start = ContinuousClock.now
        let target = catalog.database.map { context.connection.with(database: $0) } ?? context.connection
        let session = try await PostgresConnection.connect(target)
        defer { session.close() }
        let result: QueryResult
        do {
            result = try await session.query(catalog.query)
        } catch {
            return ([ReportCase(name: "the catalog query runs", status: .failed, message: "the catalog query failed on the restored database: \(error)")], [])
        }
        let names = result.columns.map(\.name)
        let rows = result.rows.map { row in Dictionary(uniqueKeysWithValues: zip(names, row)) }
        let consistency = try CatalogConsistency.check(rows: rows, keyTemplate: catalog.keyTemplate, variables: context.variables, objects: listing.objects)
        let seconds = (ContinuousClock.now - start).seconds
        var cases: [ReportCase] = []
        func add(_ name: String, _ kinds: [CatalogConsistency.Finding.Kind], failing: Bool, meaning: String) {
            let found = kinds.flatMap { consistency.findings($0) }
            guard !found.isEmpty else {
                cases.append(ReportCase(name: name, status: .passed, seconds: seconds))
                return
            }
            let keys = found.prefix(10).map(\.key).joined(separator: ", ") + (found.count > 10 ? ", … (\(found.count - 10) more in objects.jsonl)" : "")
            var item = ReportCase(
                name: name, status: failing ? .failed : .passed, seconds: seconds, message: "\(found.count) \(meaning): \(keys)",
                detail: found.prefix(100).map { "\($0.key): \($0.detail)" }.joined(separator: "\n"))
            if !failing { item.output = "warning: " + (item.message ?? "") + "\n" + (item.detail ?? "") }
            cases.append(item)
        }
        add("every catalog row resolves to an object", [.noObject], failing: true, meaning: "catalog row(s) name no object at the recovery point")
        add("catalog sizes and ETags match the objects", [.sizeMismatch, .etagMismatch], failing: true, meaning: "catalog row(s) disagree with their object")
        add(
            section.orphansFail ? "no objects without a catalog row" : "objects without a catalog row (warning only)", [.orphan],
            failing: section.orphansFail, meaning: "object(s) no catalog row names")
        cases[0].output = "\(consistency.rows) catalog row(s), \(consistency.resolved) resolved to their object"
        let findings = consistency.findings.map {
            DrillReport.Objects.Finding(category: "catalog: " + $0.kind.rawValue, key: $0.key, versionID: nil, detail: $0.detail)
        }
        return (cases, findings)
    }
}
