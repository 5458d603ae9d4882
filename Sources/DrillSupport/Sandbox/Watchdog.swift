import Foundation
import Synchronization

/// Runs a command when the drill dies without tearing down (SIGKILL, a crash): the way a
/// container, which is no child of the drill, is removed all the same.
///
/// A small shell waits on a pipe whose write end only the drill holds. Teardown disarms it (a
/// line on the pipe); any other end of the drill closes the pipe and the shell runs the command.
/// It runs in a session of its own, so the signal that stops the drill does not stop it.
public final class Watchdog: Sendable {
    private let writeEnd: Int32
    private let disarmed = Atomic<Bool>(false)
    private let task: Task<ToolResult?, Never>

    private init(writeEnd: Int32, task: Task<ToolResult?, Never>) {
        self.writeEnd = writeEnd
        self.task = task
    }

    /// Arms a watchdog that runs `command` if the drill dies first.
    public static func arm(_ command: ToolInvocation) throws -> Watchdog {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw SandboxUnavailable(reason: "cannot create a pipe for a watchdog: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(descriptors[1], F_SETFD, FD_CLOEXEC)
        var shell = command
        shell.executable = "/bin/sh"
        shell.arguments = ["-c", "read line; [ \"$line\" = disarmed ] || exec \"$@\"", "restore-drill-watchdog", command.executable] + command.arguments
        shell.displayName = "watchdog (\(command.displayName))"
        shell.pipeInput = descriptors[0]
        let task = Task.detached { try? await ProcessRunner.run(shell) }
        return Watchdog(writeEnd: descriptors[1], task: task)
    }

    /// Tells the watchdog the drill tore down itself, and waits for it to exit.
    public func disarm() async {
        guard !disarmed.exchange(true, ordering: .relaxed) else { return }
        _ = "disarmed\n".withCString { write(writeEnd, $0, strlen($0)) }
        close(writeEnd)
        _ = await task.value
    }
}
