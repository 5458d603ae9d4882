import DrillSupport
import Foundation

extension ContainerServer {
    public func restartAsBootstrapSuperuser(settings: [String: String], timeout: Duration) async throws -> String {
        guard let recovery else { throw ProvisionError(.startFailed, "this container was not prepared for a physical restore") }
        try await stopForRestart()
        let queryFile = try BootstrapSuperuser.writeQuery(into: scratchDirectory, owner: nil, readableByOthers: true)
        defer { unlink(queryFile) }
        var all = recovery.settings
        for (key, value) in settings { all[key] = value }
        let arguments = ContainerCommands.singleUser(
            options, name: name + "-superuser", image: recovery.image,
            arguments: BootstrapSuperuser.arguments(dataDirectory: dataDirectory, settings: all), created: TimestampText.iso(Date()),
            ownerPID: getpid(), readOnlyFiles: recovery.readOnly, readWriteFolders: [(scratchDirectory, scratchDirectory)], pgdata: dataDirectory)
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: arguments, input: .file(queryFile), displayName: "postgres --single (in a container)")
                .inheriting(ContainerOptions.cliEnvironment))
        guard result.succeeded, let role = BootstrapSuperuser.parse(result.standardOutput) else { throw BootstrapSuperuser.failure(result) }
        _ = try ClientAuthentication.write(into: scratchDirectory, trustedRoles: [role], loopback: false, owner: nil, readableByOthers: true)
        useSuperuser(role)
        let started = try await launch(settings: settings, timeout: timeout)
        guard started.succeeded else {
            throw ProvisionError(
                .startFailed, "the copy's container did not start again after its superuser was read (\(started.terminationDescription)): \(lastLine(started.standardError))")
        }
        try await waitUntilReady(timeout: timeout)
        return role
    }
}
