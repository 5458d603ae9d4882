import DrillSupport
import Foundation

extension PgCtlServer {
    public func restartAsBootstrapSuperuser(settings: [String: String], timeout: Duration) async throws -> String {
        guard await stop(mode: "fast") else {
            throw ProvisionError(.startFailed, "the promoted copy did not stop (pg_ctl stop), so its superuser could not be read; set recovery.superuser")
        }
        let queryFile = try BootstrapSuperuser.writeQuery(into: root, owner: serverUser, readableByOthers: false)
        defer { unlink(queryFile) }
        // The same settings as the postmaster (quarantine included), so nothing production's
        // configuration asks for is honoured here either.
        let invocation = ToolInvocation(
            executable: binaries.path("postgres"),
            arguments: BootstrapSuperuser.arguments(dataDirectory: dataDirectory, settings: serverSettings(extra: settings)),
            workingDirectory: root, input: .file(queryFile), displayName: "postgres --single")
        let result = try await ProcessRunner.run(serverInvocation(invocation))
        guard result.succeeded, let role = BootstrapSuperuser.parse(result.standardOutput) else { throw BootstrapSuperuser.failure(result) }
        _ = try writeAuthenticationFiles(trustedRoles: [role])
        useSuperuser(role)
        let started = try await launch(settings: settings, timeout: timeout)
        guard started.succeeded else {
            throw ProvisionError(
                .startFailed, "the copy did not start again after its superuser was read (pg_ctl \(started.terminationDescription)):\n\(recentLog(lines: 10))")
        }
        return role
    }
}
