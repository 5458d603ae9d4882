import DrillSupport
import Foundation
import Reports

/// The quarantine audit of a container: the same server settings, and a listener that is
/// either published on 127.0.0.1 only or, on the host network, bound to 127.0.0.1 only.
public enum ContainerQuarantine {
    public static func audit(_ server: ContainerServer, database: String) async -> [ReportCase] {
        if server.isIsolated {
            return await QuarantineAudit.audit(
                server.connection.with(database: database), listenOnLoopback: false,
                listener: ("no network: listens on a socket in the drill's scratch folder only", [""]))
        }
        switch server.options.network {
        case .host:
            return await QuarantineAudit.audit(
                server.connection.with(database: database), listenOnLoopback: true, listener: ("listens on 127.0.0.1 only (host network)", ["127.0.0.1"]))
        case .publish:
            var cases = await QuarantineAudit.audit(
                server.connection.with(database: database), listenOnLoopback: true,
                listener: ("listens inside its container's own network", ["*", "0.0.0.0"]))
            do {
                let addresses = try await server.publishedAddresses()
                let outside = addresses.filter { !$0.hasPrefix("127.0.0.1:") }
                cases.append(
                    ReportCase(
                        name: "port published on 127.0.0.1 only", status: outside.isEmpty && !addresses.isEmpty ? .passed : .failed,
                        message: outside.isEmpty ? (addresses.isEmpty ? "the container publishes no port" : nil)
                            : "the container is reachable on \(outside.joined(separator: ", ")): the restored copy could be reached from outside",
                        output: addresses.joined(separator: "\n")))
            } catch {
                cases.append(ReportCase(name: "port published on 127.0.0.1 only", status: .error, message: "\(error)"))
            }
            return cases
        }
    }
}
