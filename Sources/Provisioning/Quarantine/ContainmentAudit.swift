import DrillSupport
import Foundation
import Reports

/// The first layer of the quarantine, proven from the outside: which namespaces the restored
/// server runs in, read from /proc, and a write outside the drill's folder tried from inside.
public enum ContainmentAudit {
    /// Cases for a pg_ctl server: no network, a PID namespace, a read-only file system; or one
    /// skipped case saying that only the settings contain the copy, and why.
    public static func cases(_ server: PgCtlServer) async -> [ReportCase] {
        guard let sandbox = server.sandbox else {
            return [
                ReportCase(
                    name: "the restored server runs in a sandbox", status: .skipped,
                    message: "no sandbox (\(server.containmentGap ?? "unknown reason")): the quarantine settings are the only layer, so code in the backup that connects out (dblink, postgres_fdw, COPY ... PROGRAM) is not contained")
            ]
        }
        guard let postmaster = server.postmasterHostPID() else {
            return [ReportCase(name: "the restored server runs in a sandbox", status: .error, message: "the postmaster's process cannot be found to audit it")]
        }
        var cases: [ReportCase] = []
        cases.append(await networkCase(postmaster: postmaster, sandbox: sandbox))
        let ownPID = DrillSandbox.namespace("pid", of: getpid())
        let serverPID = DrillSandbox.namespace("pid", of: postmaster)
        cases.append(
            ReportCase(
                name: "nothing the server starts outlives the drill (own PID namespace)",
                status: serverPID != nil && serverPID != ownPID ? .passed : .failed,
                message: serverPID != ownPID ? nil : "the postmaster runs in the drill's own PID namespace",
                output: "postmaster pid \(postmaster) in \(serverPID ?? "?"); the namespace ends when the drill does"))
        if sandbox.isolation.readOnlyFileSystem {
            cases.append(await fileSystemCase(server: server))
        } else {
            cases.append(
                ReportCase(
                    name: "the server cannot write outside the drill's folder", status: .skipped,
                    message: "no mount namespace without root: the server's OS account can write where it may on this machine"))
        }
        return cases
    }

    static func networkCase(postmaster: pid_t, sandbox: DrillSandbox) async -> ReportCase {
        let name = "the restored server has no network (own network namespace, no interface up)"
        let serverNet = DrillSandbox.namespace("net", of: postmaster)
        guard let serverNet, serverNet != DrillSandbox.namespace("net", of: getpid()) else {
            return ReportCase(name: name, status: .failed, message: "the postmaster shares the drill's network namespace")
        }
        let devices = ((try? String(contentsOfFile: "/proc/\(postmaster)/net/dev", encoding: .utf8)) ?? "")
            .split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) }
        let up = await interfacesUp(sandbox: sandbox)
        let passed = up.map(\.isEmpty) ?? true
        return ReportCase(
            name: name, status: passed ? .passed : .failed,
            message: passed ? nil : "interfaces up inside the server's network namespace: \(up!.joined(separator: ", "))",
            output: "postmaster pid \(postmaster) in \(serverNet); interfaces: \(devices.joined(separator: ", ")); up: \(up.map { $0.isEmpty ? "none" : $0.joined(separator: ", ") } ?? "not read (no ip command)")")
    }

    /// Interfaces that are up in the sandbox's network namespace (nil when `ip` is not installed).
    static func interfacesUp(sandbox: DrillSandbox) async -> [String]? {
        guard let ip = ExecutableLookup.find("ip") else { return nil }
        let result = try? await ProcessRunner.run(
            sandbox.wrap(ToolInvocation(executable: ip, arguments: ["-o", "link", "show", "up"], displayName: "ip link"), scope: .server(user: nil)))
        guard let result, result.succeeded else { return nil }
        return result.standardOutput.split(separator: "\n").compactMap { line in
            line.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces)
        }
    }

    static func fileSystemCase(server: PgCtlServer) async -> ReportCase {
        let name = "the server cannot write outside the drill's folder (read-only file system)"
        let parent = (server.root as NSString).deletingLastPathComponent
        let probe = parent + "/restore-drill-write-probe-" + UUID().uuidString.lowercased()
        defer { unlink(probe) }
        let result = try? await ProcessRunner.run(
            server.serverInvocation(
                ToolInvocation(executable: "/bin/sh", arguments: ["-c", "echo probe > \"$1\"", "probe", probe], displayName: "write probe")))
        let written = FileManager.default.fileExists(atPath: probe)
        return ReportCase(
            name: name, status: written || result?.succeeded == true ? .failed : .passed,
            message: written ? "the server's OS account wrote \(probe) from inside the sandbox" : nil,
            output: "a write to \(parent) from inside: \(result.map { $0.standardError.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "could not run")")
    }

    /// `listen_on_loopback` with a sandbox: 127.0.0.1 reaches the server through the drill's relay.
    static func relayCase(_ server: PgCtlServer) -> ReportCase {
        let name = "127.0.0.1 reaches the server through the drill's one-way relay"
        guard let relay = server.relay else {
            return ReportCase(
                name: name, status: .error,
                message: "postgres.listen_on_loopback is set but 127.0.0.1:\(server.connection.port) could not be bound for the relay")
        }
        return ReportCase(name: name, status: .passed, output: "127.0.0.1:\(relay.port) → \(relay.socketPath)")
    }

    /// The libpq variables of the drill's environment that nothing of the drill used.
    public static func inheritedLibpqCase() -> ReportCase {
        let ignored = LibpqEnvironment.scrubProcess()
        return ReportCase(
            name: "no inherited libpq settings reach the drill's connections or children", status: .passed,
            output: ignored.isEmpty
                ? "the drill's environment has no PG* variables"
                : "ignored from the drill's environment: \(ignored.joined(separator: ", ")); every connection is given host, port, user and database explicitly")
    }
}
