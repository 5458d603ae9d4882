import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// `run --metrics FILE`: node_exporter's textfile format, the last success kept through a
/// failed run (so an alert on its age fires), and a file that cannot be written never turns
/// the drill's verdict.
@Suite("Prometheus textfile", .serialized)
struct MetricsTextfileTests {
    static func value(_ metric: String, in text: String) -> Double? {
        let prefix = metric + "{drill=\"test-drill\"} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    @Test func aFailedRunKeepsTheLastSuccess() async throws {
        let sample = try await SampleDrill.prepare("metrics")
        defer { sample.remove() }
        let file = sample.workspace.file("restore_drill.prom")

        let passed = try await sample.run(options: ["--metrics", file])
        let first = try String(contentsOfFile: file, encoding: .utf8)
        let failed = try await sample.run(options: ["--metrics", file], environment: ["TEST_ADMIN_PASSWORD": "not-the-admin-password"])
        let second = try String(contentsOfFile: file, encoding: .utf8)

        #expect(passed.exitCode == 0 && failed.exitCode == 1, "\(failed.allOutput)")
        #expect(first.contains("# TYPE restore_drill_rto_seconds gauge"), "\(first)")
        let success = try #require(Self.value("restore_drill_last_success_timestamp_seconds", in: first))
        #expect(Self.value("restore_drill_last_run_timestamp_seconds", in: first) == success)
        #expect(Self.value("restore_drill_last_success_timestamp_seconds", in: second) == success, "\(second)")
        #expect((Self.value("restore_drill_last_run_timestamp_seconds", in: second) ?? 0) > success)
        #expect(Self.value("restore_drill_last_run_passed", in: second) == 0)
        #expect(Self.value("restore_drill_exit_code", in: second) == 1)
        #expect(Self.value("restore_drill_checks_failed", in: second) == 1)
        #expect((Self.value("restore_drill_rto_seconds", in: first) ?? 0) > 0)
        #expect(!second.contains("not-the-admin-password"))

        // What node_exporter's textfile collector reads: Prometheus's own text-format parser.
        let parser = try sample.workspace.write(
            "parse.py",
            """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for sample in family.samples:
                    out[sample.name] = {"type": family.type, "labels": sample.labels, "value": sample.value}
            print(json.dumps(out))
            """)
        func parse(_ text: String) async throws -> [String: [String: Any]] {
            let copy = try sample.workspace.write("copy-\(UUID().uuidString.prefix(6)).prom", text)
            let parsed = try await DrillCLI.runProgram("python3", [parser, copy], workspace: sample.workspace)
            #expect(parsed.exitCode == 0, "\(parsed.allOutput)")
            return try JSONSerialization.jsonObject(with: Data(parsed.standardOutput.utf8)) as? [String: [String: Any]] ?? [:]
        }
        let afterSuccess = try await parse(first)
        for name in [
            "restore_drill_last_run_timestamp_seconds", "restore_drill_last_success_timestamp_seconds", "restore_drill_rto_seconds",
            "restore_drill_rpo_seconds", "restore_drill_checks_failed",
        ] {
            #expect(afterSuccess[name]?["type"] as? String == "gauge", "\(name): \(first)")
            #expect((afterSuccess[name]?["labels"] as? [String: String]) == ["drill": "test-drill"], "\(name)")
        }
        // After the failure: no RTO (the drill never reached "checks passed"), the success kept.
        let afterFailure = try await parse(second)
        #expect(afterFailure["restore_drill_rto_seconds"] == nil, "\(second)")
        #expect(afterFailure["restore_drill_last_success_timestamp_seconds"]?["value"] as? Double == success)
        #expect(afterFailure["restore_drill_checks_failed"]?["value"] as? Double == 1)
    }

    @Test func aMetricsFileThatCannotBeWrittenDoesNotChangeTheVerdict() async throws {
        let sample = try await SampleDrill.prepare("metrics-nowhere")
        defer { sample.remove() }

        let run = try await sample.run(options: ["--metrics", sample.workspace.file("no/such/folder/drill.prom")])

        #expect(run.exitCode == 0, "\(run.allOutput)")
        #expect(run.standardError.contains("the metrics file \(sample.workspace.file("no/such/folder/drill.prom")) was not written"), "\(run.standardError)")
    }
}
