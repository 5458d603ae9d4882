import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// report.json is what tooling reads: real reports (passed, failed, stopped in the plan,
/// physical) validate against docs/report.schema.json with python's jsonschema, and a value not
/// measured is null, not missing.
@Suite("report.json against its schema", .serialized)
struct ReportSchemaTests {
    static let schema = RepositoryPaths.root + "/docs/report.schema.json"

    /// jsonschema's complaint about `report`, or nil when it validates.
    static func problems(_ report: String) async throws -> String? {
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator
            schema = json.load(open(sys.argv[1]))
            Draft202012Validator.check_schema(schema)
            errors = sorted(Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))), key=lambda e: list(e.path))
            for error in errors[:5]:
                print("/".join(map(str, error.path)), error.message)
            sys.exit(1 if errors else 0)
            """
        let result = try await ProcessRunner.run(ToolInvocation(executable: "python3", arguments: ["-c", script, schema, report], displayName: "jsonschema"))
        return result.succeeded ? nil : result.standardOutput + result.standardError
    }

    @Test func passedFailedAndPlanOnlyReportsValidate() async throws {
        let sample = try await SampleDrill.prepare("schema")
        defer { sample.remove() }
        let report = sample.reports + "/report.json"

        let passed = try await sample.run()
        let passedProblems = try await Self.problems(report)
        let text = try String(contentsOfFile: report, encoding: .utf8)
        let failed = try await sample.run(environment: ["TEST_ADMIN_PASSWORD": "not-the-admin-password"])
        let failedProblems = try await Self.problems(report)
        let stopped = try await sample.run(environment: [:])
        let stoppedProblems = try await Self.problems(report)
        let stoppedJSON = try sample.report()

        #expect(passed.exitCode == 0 && failed.exitCode == 1 && stopped.exitCode == 2)
        #expect(passedProblems == nil, "\(passedProblems ?? "")")
        #expect(failedProblems == nil, "\(failedProblems ?? "")")
        #expect(stoppedProblems == nil, "\(stoppedProblems ?? "")")
        #expect(text.contains("\"rpo_seconds\""))
        // Stopped in the plan: nothing was measured, and the report says null rather than leaving it out.
        let measurements = stoppedJSON["measurements"] as? [String: Any] ?? [:]
        #expect(Set(measurements.keys) == ["rto_seconds", "rpo_seconds", "backup_age_seconds"], "\(measurements)")
        #expect(measurements["rto_seconds"] is NSNull, "\(measurements)")
    }

    @Test func aPhysicalDrillsReportValidates() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("schema-physical", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows

        let run = try await drill.run()
        let problems = try await Self.problems(drill.reports + "/report.json")

        #expect(run.exitCode == 0, "\(run.allOutput)")
        #expect(problems == nil, "\(problems ?? "")")
        #expect((try drill.report()["recovery"] as? [String: Any])?["reached"] as? Bool == true)
    }
}
