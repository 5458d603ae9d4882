import DrillSupport
import Foundation
import Reports

/// The quarantine audit of a container: no network at all, read back from the runtime, and the
/// same server settings as any drill server.
public enum ContainerQuarantine {
    public static func audit(_ server: ContainerServer, database: String, listenOnLoopback: Bool) async -> [ReportCase] {
        var cases = [await networkCase(server)]
        if listenOnLoopback {
            let name = "127.0.0.1 reaches the server through the drill's one-way relay"
            cases.append(
                server.relay.map { ReportCase(name: name, status: .passed, output: "127.0.0.1:\($0.port) → \($0.socketPath)") }
                    ?? ReportCase(name: name, status: .error, message: "postgres.listen_on_loopback is set but the relay could not be started"))
        }
        cases += await QuarantineAudit.audit(
            server.connection.with(database: database), listenOnLoopback: false,
            listener: ("no listener: a socket in the drill's folder only", [""]))
        return cases
    }

    static func networkCase(_ server: ContainerServer) async -> ReportCase {
        let name = "the container has no network (--network=none)"
        let result = try? await ProcessRunner.run(
            ToolInvocation(
                executable: server.options.runtime,
                arguments: server.options.runtimeArguments + ["inspect", "--format", "{{.HostConfig.NetworkMode}}", server.name],
                displayName: "\(server.options.runtime) inspect").inheriting(ContainerOptions.cliEnvironment))
        guard let result, result.succeeded else {
            return ReportCase(name: name, status: .error, message: "cannot read the container's network mode: \(result.map { lastLine($0.standardError) } ?? "")")
        }
        let mode = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return ReportCase(
            name: name, status: mode == "none" ? .passed : .failed,
            message: mode == "none" ? nil : "the container \(server.name) runs with network mode '\(mode)': the restored copy could reach other hosts",
            output: "\(server.name): NetworkMode=\(mode)")
    }
}
