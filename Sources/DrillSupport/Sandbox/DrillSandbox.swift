import Foundation
import Synchronization

/// Linux namespaces that contain what a drill starts.
///
/// One long-lived holder process (`unshare --net --pid --mount --fork`) is PID 1 of a new PID
/// namespace and lives in a new network namespace (a loopback that is down: no route anywhere)
/// and a mount namespace where every file system is read-only except the drill's own folder.
/// The restored server, pg_restore and psql enter all three with `nsenter`; checks and services
/// enter the PID namespace only (they keep the host's network and reach the server through its
/// socket).
///
/// Lifetime: the holder reads a pipe whose only write end the drill process holds. When the
/// drill ends in any way, SIGKILL included, the pipe closes, the holder exits, and the kernel
/// kills every process of the PID namespace, double-forked and `setsid` ones too
/// (pid_namespaces(7): "If the init process of a PID namespace terminates, the kernel
/// terminates all of the processes in the namespace via a SIGKILL signal").
public final class DrillSandbox: Sendable, CustomStringConvertible {
    /// Which namespaces are in force.
    public struct Isolation: Sendable, Equatable {
        public var network: Bool
        public var processes: Bool
        public var readOnlyFileSystem: Bool
    }

    /// Where a wrapped program runs.
    public enum Scope: Sendable {
        /// The server and the restore tools: no network, read-only file system but for the
        /// drill's folder, in the drill's PID namespace, as `user` (nil: this process's account).
        case server(user: OSUser?)
        /// Checks and services: the drill's PID namespace (so nothing of theirs outlives the
        /// drill) and, with `ownProcessNamespace`, one of their own inside it, so that whatever
        /// they start ends when their main process ends; the host's network.
        case client(ownProcessNamespace: Bool)
        /// A backup tool that downloads into the drill's folder (barman-cloud-restore): the
        /// read-only file system and the PID namespace, as `user`, with the host's network.
        case fetcher(user: OSUser?)
    }

    /// Host pid of the namespaces' PID 1.
    public let holderPID: pid_t
    /// Host pid of the `unshare` process that made them.
    public let unsharePID: pid_t
    /// What is in force.
    public let isolation: Isolation
    /// The folder that stays writable inside.
    public let writableRoot: String
    private let rootless: Bool
    private let writeEnd: Mutex<Int32>
    private let holderTask: Task<ToolResult?, Never>

    private init(
        holderPID: pid_t, unsharePID: pid_t, isolation: Isolation, writableRoot: String, rootless: Bool, writeEnd: Int32,
        holderTask: Task<ToolResult?, Never>
    ) {
        self.holderPID = holderPID
        self.unsharePID = unsharePID
        self.isolation = isolation
        self.writableRoot = writableRoot
        self.rootless = rootless
        self.writeEnd = Mutex(writeEnd)
        self.holderTask = holderTask
    }

    /// One line for reports: what contains the drill's processes.
    public var description: String {
        var parts: [String] = []
        if isolation.network { parts.append("a network namespace with no interface up (no route out)") }
        if isolation.processes { parts.append("a PID namespace that dies with the drill") }
        if isolation.readOnlyFileSystem { parts.append("a read-only file system except \(writableRoot)") }
        return parts.joined(separator: ", ") + (rootless ? " (user namespace, run without root)" : "")
    }

    /// Makes the namespaces; throws `SandboxUnavailable` (with the reason) where they cannot be
    /// had: not Linux, no `unshare`/`nsenter`, or user namespaces disabled for non-root.
    public static func start(writableRoot: String) async throws -> DrillSandbox {
        #if !os(Linux)
            throw SandboxUnavailable(reason: "network and PID namespaces exist on Linux only")
        #else
            for tool in ["unshare", "nsenter"] where ExecutableLookup.find(tool) == nil {
                throw SandboxUnavailable(reason: "\(tool) (util-linux) is not installed")
            }
            let rootless = !OSUser.isRoot
            var descriptors: [Int32] = [0, 0]
            // Children never inherit it: swift-subprocess closes every descriptor above 2 in the child.
            guard pipe(&descriptors) == 0, fcntl(descriptors[1], F_SETFD, FD_CLOEXEC) == 0 else {
                throw SandboxUnavailable(reason: "cannot create a pipe: \(String(cString: strerror(errno)))")
            }
            let (readEnd, writeEnd) = (descriptors[0], descriptors[1])
            var arguments = ["--net", "--pid", "--fork", "--kill-child"]
            if rootless { arguments = ["--user", "--map-current-user"] + arguments } else { arguments.append("--mount") }
            arguments += ["--", "/bin/sh", "-c", holderScript, "restore-drill-sandbox", rootless ? "" : writableRoot]
            let ready = Mutex<(ready: Bool, unshare: pid_t?, lines: [String])>((false, nil, []))
            var invocation = ToolInvocation(
                executable: ExecutableLookup.find("unshare")!, arguments: arguments, displayName: "unshare (drill sandbox)",
                captureLimit: 16 * 1024,
                onLine: { line, _ in
                    ready.withLock { state in
                        if line == "restore-drill-sandbox ready" { state.ready = true } else if state.lines.count < 20 { state.lines.append(line) }
                    }
                }, gracePeriod: .milliseconds(200))
            invocation.pipeInput = readEnd
            invocation.onStart = { pid in ready.withLock { $0.unshare = pid } }
            let task = Task.detached { () -> ToolResult? in try? await ProcessRunner.run(invocation) }
            let deadline = ContinuousClock.now + .seconds(10)
            var holder: pid_t?
            var unshare: pid_t?
            while ContinuousClock.now < deadline {
                let state = ready.withLock { $0 }
                unshare = state.unshare
                if state.ready, let unshare, let child = Self.firstChild(of: unshare) {
                    holder = child
                    break
                }
                if let unshare, kill(unshare, 0) != 0 { break }
                try? await Task.sleep(for: .milliseconds(20))
            }
            guard let holder, let unshare else {
                close(writeEnd)
                let result = await task.value
                let said = ready.withLock { $0.lines } + [result?.standardError ?? ""]
                let reason = said.joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)
                throw SandboxUnavailable(reason: "unshare \(result?.terminationDescription ?? "did not start"): \(reason.isEmpty ? "no reason given" : reason)")
            }
            let isolation = Isolation(
                network: Self.namespace("net", of: holder) != Self.namespace("net", of: getpid()),
                processes: Self.namespace("pid", of: holder) != Self.namespace("pid", of: getpid()),
                readOnlyFileSystem: !rootless && Self.namespace("mnt", of: holder) != Self.namespace("mnt", of: getpid()))
            return DrillSandbox(
                holderPID: holder, unsharePID: unshare, isolation: isolation, writableRoot: writableRoot, rootless: rootless,
                writeEnd: writeEnd, holderTask: task)
        #endif
    }

    /// PID 1 of the sandbox: makes every mount read-only but the drill's folder (and the
    /// kernel's own file systems, which PostgreSQL needs: /dev/shm for shared memory), then
    /// waits for its standard input, the drill's pipe, to close.
    static let holderScript = #"""
        rw="$1"
        if [ -n "$rw" ]; then
            mount --make-rprivate / && mount --bind "$rw" "$rw" || echo "cannot bind $rw" >&2
            while read -r _ _ _ _ mp _; do
                mp=$(printf '%b' "$mp")
                case "$mp" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$rw") continue ;; esac
                mount -o remount,bind,ro "$mp" 2>/dev/null || echo "cannot make $mp read-only" >&2
            done < /proc/self/mountinfo
        fi
        echo "restore-drill-sandbox ready"
        read _ || true
        """#

    /// `invocation` run inside the sandbox in `scope`.
    public func wrap(_ invocation: ToolInvocation, scope: Scope) -> ToolInvocation {
        var wrapped = invocation
        var arguments = ["--target", String(holderPID)]
        if rootless { arguments += ["--user", "--preserve-credentials"] }
        switch scope {
        case .server(let user), .fetcher(let user):
            if case .server = scope { arguments.append("--net") }
            arguments.append("--pid")
            if !rootless { arguments.append("--mount") }
            if let directory = invocation.workingDirectory { arguments.append("--wd=\(directory)") }
            arguments.append("--")
            if let user = user ?? invocation.user, OSUser.isRoot, user.uid != 0 {
                arguments += Self.dropPrivileges(to: user)
                wrapped.environment["USER"] = wrapped.environment["USER"] ?? user.name
                wrapped.environment["LOGNAME"] = wrapped.environment["LOGNAME"] ?? user.name
                if let home = OSUser.home(of: user) { wrapped.environment["HOME"] = home }
            }
        case .client(let own):
            arguments += ["--pid", "--"]
            if own { arguments += [ExecutableLookup.find("unshare") ?? "unshare", "--pid", "--fork", "--kill-child", "--"] }
            if let user = invocation.user, OSUser.isRoot, user.uid != 0 { arguments += Self.dropPrivileges(to: user) }
        }
        wrapped.user = nil
        wrapped.executable = ExecutableLookup.find("nsenter") ?? "nsenter"
        wrapped.arguments = arguments + [invocation.executable] + invocation.arguments
        return wrapped
    }

    /// Hands the sandbox's lifetime to a keeper process, for `--keep`: the namespaces (and the
    /// server in them) then outlive the drill until the keeper is killed. Returns its pid.
    public func keepAlive(holding lock: Int32? = nil) async throws -> pid_t {
        let current = writeEnd.withLock { $0 }
        guard current >= 0 else { throw SandboxUnavailable(reason: "the sandbox has already ended") }
        return try await KeeperProcess.start(holding: [current] + (lock.map { [$0] } ?? []))
    }

    /// `setpriv` becoming `user` (no supplementary groups) before the program runs: nsenter must
    /// run as root to enter the namespaces, the program never does.
    static func dropPrivileges(to user: OSUser) -> [String] {
        [ExecutableLookup.find("setpriv") ?? "setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--"]
    }

    /// The host pid of the process that has `namespacePID` inside the sandbox.
    public func hostPID(ofNamespacePID namespacePID: pid_t) -> pid_t? {
        guard let namespace = Self.namespace("pid", of: holderPID) else { return nil }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") })
            else { continue }
            let ids = line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard ids.count >= 2, pid_t(ids.last!) == namespacePID, Self.namespace("pid", of: pid) == namespace else { continue }
            return pid
        }
        return nil
    }

    /// Host pids of every process inside the sandbox but its PID 1.
    public func members() -> [pid_t] {
        guard let namespace = Self.namespace("pid", of: holderPID) else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), pid != holderPID, Self.namespace("pid", of: pid) == namespace else { return nil }
            return pid
        }
    }

    /// True while the holder lives.
    public var isAlive: Bool { kill(holderPID, 0) == 0 && !Self.isZombie(holderPID) }

    /// Ends the sandbox and everything in it, and waits until it is gone (outside any
    /// cancellation: teardown must finish). Idempotent.
    public func end() async {
        let descriptor = writeEnd.withLock { value -> Int32 in
            defer { value = -1 }
            return value
        }
        if descriptor >= 0 { close(descriptor) }
        let task = holderTask
        let unshare = unsharePID
        await Task.detached {
            for _ in 0..<100 where kill(unshare, 0) == 0 && !DrillSandbox.isZombie(unshare) {
                try? await Task.sleep(for: .milliseconds(20))
            }
            // --kill-child: unshare's death takes PID 1, and so the namespace, with it.
            if kill(unshare, 0) == 0 { kill(unshare, SIGKILL) }
            _ = await task.value
        }.value
    }

    static func firstChild(of pid: pid_t) -> pid_t? {
        if let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8),
            let first = text.split(separator: " ").first, let child = pid_t(first)
        {
            return child
        }
        return nil
    }

    /// The inode link of one of `pid`'s namespaces (`net:[4026531840]`).
    public static func namespace(_ kind: String, of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }
}

/// Why the namespaces could not be made; the drill then relies on the quarantine settings alone
/// and says so in its report.
public struct SandboxUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "no sandbox: \(reason)" }
}

/// A `sleep infinity` that holds descriptors open after the drill exits (`--keep`): the sandbox's
/// pipe on its standard output, a drill folder's lock on its standard input.
public enum KeeperProcess {
    /// Starts a keeper holding copies of `descriptors` (at most two: the first as its standard
    /// output, the second as its standard input). Returns its pid.
    public static func start(holding descriptors: [Int32]) async throws -> pid_t {
        let started = Mutex<pid_t?>(nil)
        var keeper = ToolInvocation(executable: "/bin/sh", arguments: ["-c", "exec sleep infinity"], displayName: "keeper")
        if let first = descriptors.first { keeper.pipeOutput = dup(first) }
        if descriptors.count > 1 { keeper.pipeInput = dup(descriptors[1]) }
        keeper.onStart = { pid in started.withLock { $0 = pid } }
        Task.detached { _ = try? await ProcessRunner.run(keeper) }
        for _ in 0..<250 {
            if let pid = started.withLock({ $0 }) { return pid }
            try? await Task.sleep(for: .milliseconds(20))
        }
        throw SandboxUnavailable(reason: "the keeper process did not start")
    }
}

/// Finds programs on `PATH` (and in the sbin folders, where util-linux keeps nsenter).
public enum ExecutableLookup {
    /// The absolute path of `name`, or nil.
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for folder in folders where !folder.isEmpty {
            let candidate = folder + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
