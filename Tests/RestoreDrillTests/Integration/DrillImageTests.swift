import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// The container image of restore-drill itself (Containerfile, scripts/drill-image): the release
/// executable with the Swift runtime linked in runs the demo drill inside it, with no network.
@Suite("Container image of restore-drill", .serialized)
struct DrillImageTests {
    /// scripts/test builds the static executable (root with podman); without it there is nothing to put in an image.
    static var staticBinaryBuilt: Bool {
        ContainerProvisionerTests.podmanReady && FileManager.default.isExecutableFile(atPath: RepositoryPaths.root + "/.build-static/release/restore-drill")
    }

    @Test(.enabled(if: staticBinaryBuilt, "scripts/test builds the static executable and the image as root with podman"))
    func theImageRunsTheDemoWithoutTheToolchainOrANetwork() async throws {
        let workspace = try TestWorkspace("drill-image")
        defer { workspace.remove() }
        let major = try await TestServer.newestMajor()
        let built = try await DrillCLI.runProgram(
            RepositoryPaths.root + "/scripts/drill-image", [String(major), "podman"], workspace: workspace, environment: ContainerImage.environment)
        #expect(built.exitCode == 0, "\(built.allOutput)")
        let image = "localhost/restore-drill:\(major)"
        func podman(_ arguments: [String]) async throws -> DrillCLI.Run {
            try await DrillCLI.runProgram("podman", ContainerProvisionerTests.podmanArguments + arguments, workspace: workspace, environment: ContainerImage.environment)
        }
        // No Swift library is loaded from anywhere: the executable carries its runtime.
        let libraries = try await podman(["run", "--rm", "--network", "none", "--entrypoint", "ldd", image, "/usr/local/bin/restore-drill"])
        #expect(libraries.exitCode == 0 && libraries.standardOutput.contains("libpq"), "\(libraries.allOutput)")
        #expect(!libraries.standardOutput.contains("libswift") && !libraries.standardOutput.contains("not found"), "\(libraries.standardOutput)")
        let toolchain = try await podman(["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", "command -v swift || echo none"])
        #expect(toolchain.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "none", "\(toolchain.allOutput)")

        let demo = try await podman(["run", "--rm", "--privileged", "--network", "none", image, "demo", "--reports", "/work/reports"])
        #expect(demo.exitCode == 0, "\(demo.allOutput.suffix(3000))")
        #expect(demo.standardError.contains("drill demo-app-nightly passed"), "\(demo.standardError.suffix(2000))")
        let leftovers = try await podman(["ps", "-a", "--filter", "ancestor=\(image)", "--format", "{{.ID}}"])
        #expect(leftovers.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "containers left: \(leftovers.standardOutput)")
    }
}
