import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// A cluster made with `initdb -U ops_root` has none of the superuser names the drill tries: the
/// drill reads the bootstrap superuser from the recovered copy itself instead of giving up.
@Suite("Physical restores of a cluster whose superuser has another name", .serialized)
struct PhysicalSuperuserTests {
    static let checkFile = "id: pitr.session\nname: Checks run as the copy's own superuser\nquery: SELECT current_user::text\nexpect: {value: ops_root}\n"

    @Test func theBootstrapSuperuserIsFoundWithAStandaloneBackend() async throws {
        let fixture = try await PhysicalFixture.make(label: "ops-root", batches: 2, superuser: "ops_root")
        defer { fixture.remove() }
        var drill = try PhysicalDrill("ops-root", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows
        drill.extraChecks = [try drill.workspace.write("checks/session.yaml", Self.checkFile)]

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let recover = try drill.cases(ofSuite: "recover").first
        let output = recover?["output"] as? String ?? ""
        #expect(output.contains("superuser: ops_root (the copy has none of postgres, restore_drill"), "\(output)")
        let checks = try drill.cases(ofSuite: "checks.checks")
        #expect(checks.allSatisfy { $0["status"] as? String == "passed" } && checks.count == 2, "\(checks)")
        #expect(drill.workspace.leftoversInTmp().isEmpty)
        #expect(drill.workspace.leftoverServerProcesses().isEmpty)
    }

    /// A name the operator gave is theirs to fix: the drill says so instead of looking further.
    @Test func aNamedSuperuserThatDoesNotExistIsAnErrorThatSaysSo() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("named-superuser", fixture: fixture)
        defer { drill.remove() }
        drill.extraRecovery = ["superuser: nobody_here"]

        let run = try await drill.run()

        #expect(run.exitCode == 3, "\(run.allOutput)")
        #expect(run.allOutput.contains("the restored cluster has none of the roles nobody_here; set recovery.superuser"), "\(run.allOutput)")
        #expect(drill.workspace.leftoverServerProcesses().isEmpty)
    }
}

/// In the container suite: its tests count every drill container, so they must not overlap.
extension ContainerProvisionerTests {
    /// The same in a container: the copy's container is stopped, a standalone backend runs in a
    /// container of the same image over the same data directory, and the copy starts again.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"))
    func theBootstrapSuperuserIsFoundInAContainerToo() async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        let fixture = try await PhysicalFixture.make(label: "ops-root-container", batches: 2, superuser: "ops_root")
        defer { fixture.remove() }
        var drill = try PhysicalDrill("ops-root-container", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows
        drill.extraChecks = [try drill.workspace.write("checks/session.yaml", PhysicalSuperuserTests.checkFile)]
        let yaml = try drill.yaml().replacingOccurrences(
            of: "postgres: {provisioner: pg_ctl}",
            with: "postgres: {provisioner: docker, runtime: podman, runtime_args: [--runtime, runc], image: \(image)}")
        let path = try drill.workspace.write("drill.yaml", yaml)

        let run = try await DrillCLI.run(["run", path], workspace: drill.workspace, environment: ContainerImage.environment)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let output = try drill.cases(ofSuite: "recover").first?["output"] as? String ?? ""
        #expect(output.contains("superuser: ops_root"), "\(output)")
        #expect(try drill.cases(ofSuite: "checks.checks").count == 2)
        #expect(try await ContainerImage.drillContainers().isEmpty)
    }
}
