import DrillSupport
import Foundation
import Provisioning

/// Finds containers that drills left behind (a crashed or killed drill never reached its
/// teardown) by their label, and removes them.
public enum ContainerCleanup {
    /// One container found.
    public struct Leftover: Sendable {
        public var runtime: String
        public var name: String
        public var drill: String
        public var created: String
        public var ownerPID: Int32?
        public var state: String
        /// The drill process that started it still runs: leave it alone unless told otherwise.
        public var ownerAlive: Bool
    }

    /// Lists drill containers of every runtime given that is installed.
    public static func find(runtimes: [ContainerOptions]) async -> [Leftover] {
        var found: [Leftover] = []
        for options in runtimes {
            guard let result = try? await ProcessRunner.run(
                ToolInvocation(executable: options.runtime, arguments: ContainerCommands.listDrillContainers(options), displayName: "\(options.runtime) ps").inheriting(ContainerOptions.cliEnvironment)),
                result.succeeded
            else { continue }
            for line in result.standardOutput.split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 5 else { continue }
                let pid = Int32(fields[3])
                let alive = pid.map { kill($0, 0) == 0 } ?? false
                found.append(Leftover(runtime: options.runtime, name: fields[0], drill: fields[1], created: fields[2], ownerPID: pid, state: fields[4], ownerAlive: alive))
            }
        }
        return found
    }

    /// Removes `leftover`; returns a problem or nil.
    public static func remove(_ leftover: Leftover, options: ContainerOptions) async -> String? {
        let result = try? await ProcessRunner.run(
            ToolInvocation(executable: options.runtime, arguments: ContainerCommands.remove(options, name: leftover.name), displayName: "\(options.runtime) rm").inheriting(ContainerOptions.cliEnvironment))
        return result?.succeeded == true ? nil : "\(leftover.name): \(result?.standardError.trimmingCharacters(in: .whitespacesAndNewlines) ?? "could not run \(options.runtime)")"
    }
}
