import DrillSupport
import Foundation
import Provisioning

/// A throwaway PostgreSQL for tests that talk to a server directly, torn down even when the test throws.
public enum TestServer {
    /// The newest installed major version.
    public static func newestMajor() async throws -> Int {
        guard let major = await ServerBinaries.installedMajors().first else {
            throw TestSupportError("no PostgreSQL server binaries are installed; run scripts/bootstrap")
        }
        return major
    }

    /// Runs `body` against a fresh server; fails the test if teardown reports a problem.
    public static func with<T: Sendable>(listenOnLoopback: Bool = false, _ body: (any ProvisionedServer) async throws -> T) async throws -> T {
        let server = try await PgCtlProvisioner().provision(ProvisionRequest(majorVersion: try await newestMajor(), listenOnLoopback: listenOnLoopback))
        let value: T
        do {
            value = try await body(server)
        } catch {
            _ = await server.tearDown()
            throw error
        }
        let problems = await server.tearDown()
        guard problems.isEmpty else { throw TestSupportError("teardown: \(problems.joined(separator: "; "))") }
        return value
    }
}
