import DrillSupport
import DrillTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Running external programs")
struct ProcessRunnerTests {
    // Regression: environment entries were passed without their terminating NUL, so a
    // child saw PGDATABASE=app followed by stray bytes ("apprt").
    @Test func aChildSeesExactlyTheEnvironmentValueGiven() async throws {
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: "/bin/sh", arguments: ["-c", "printf '[%s][%s]' \"$PGDATABASE\" \"$PGHOST\""],
                environment: ["PGDATABASE": "app", "PGHOST": "/tmp/x"]))
        #expect(result.standardOutput == "[app][/tmp/x]")
    }

    /// Regression: a child started as another user called setgroups() between fork and exec, and
    /// glibc's setxid broadcast could wait forever for threads that existed only in the parent
    /// (a drill hung in pg_ctl's spawn). Many spawns as the server's account while threads come
    /// and go; the time limit only turns a hang into a failure.
    @Test(.timeLimit(.minutes(1))) func programsStartedAsAnotherUserNeverHangInTheSpawn() async throws {
        guard OSUser.isRoot, let postgres = OSUser.lookup(name: "postgres") else { return }
        let churn = Atomic<Bool>(true)
        let churners = (0..<4).map { _ in
            Thread {
                while churn.load(ordering: .relaxed) {
                    let worker = Thread { _ = (0..<100).reduce(0, +) }
                    worker.start()
                }
            }
        }
        churners.forEach { $0.start() }
        defer { churn.store(false, ordering: .relaxed) }
        try await withThrowingTaskGroup(of: Int32?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var last: Int32?
                    for _ in 0..<40 {
                        last = try await ProcessRunner.run(ToolInvocation(executable: "/usr/bin/id", arguments: ["-u"], user: postgres)).exitCode
                    }
                    return last
                }
            }
            for try await code in group { #expect(code == 0) }
        }
        // The account's uid and primary group only: no supplementary group of root's.
        let identity = try await ProcessRunner.run(
            ToolInvocation(executable: "/bin/sh", arguments: ["-c", "echo $(id -u) $(id -G)"], user: postgres))
        #expect(identity.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "\(postgres.uid) \(postgres.gid)")
    }

    @Test func exitCodesAndSignalsAreReported() async throws {
        let failed = try await ProcessRunner.run(ToolInvocation(executable: "/bin/sh", arguments: ["-c", "echo oops >&2; exit 3"]))
        #expect(failed.exitCode == 3)
        #expect(failed.standardError == "oops\n")
        let killed = try await ProcessRunner.run(ToolInvocation(executable: "/bin/sh", arguments: ["-c", "kill -9 $$"]))
        #expect(killed.signal == 9)
        #expect(killed.terminationDescription.contains("signal 9"))
    }

    @Test func captureKeepsTheTailOfLongOutput() async throws {
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: "/bin/sh", arguments: ["-c", "seq 1 100000"], captureLimit: 1000))
        #expect(result.truncated)
        #expect(result.standardOutput.hasSuffix("99999\n100000\n"))
        #expect(result.standardOutput.utf8.count <= 1000)
    }

    @Test func aPipelineStreamsFromProducerToConsumer() async throws {
        let (producer, consumer) = try await ProcessRunner.runPipeline(
            ToolInvocation(executable: "/bin/sh", arguments: ["-c", "seq 1 50000 | gzip -c"]),
            into: ToolInvocation(executable: "/bin/sh", arguments: ["-c", "gzip -dc | wc -l"]))
        #expect(producer.succeeded)
        #expect(consumer.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "50000")
    }

    @Test func cancellationStopsTheProgramAndItsChildren() async throws {
        let marker = "rdtest-sleep-\(UUID().uuidString.prefix(8))"
        let started = Atomic<Int32>(0)
        let task = Task {
            // The background child ignores SIGTERM: only the final SIGKILL of the group stops it.
            var invocation = ToolInvocation(
                executable: "/bin/sh", arguments: ["-c", "(trap '' TERM; sleep 300) & sleep 301; : \(marker)"],
                gracePeriod: .seconds(2))
            invocation.onStart = { started.store($0, ordering: .relaxed) }
            return try await ProcessRunner.run(invocation)
        }
        for _ in 0..<100 where started.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let outcome = await task.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        let pid = started.load(ordering: .relaxed)
        #expect(pid != 0)
        #expect(kill(pid, 0) != 0, "the shell should be gone")
        // Its background child was in the same process group and must be gone too.
        // Dead children may linger as zombies until PID 1 reaps them; only live ones count.
        // SIGKILL delivery is not instantaneous: wait a bounded while for the group to empty.
        for _ in 0..<40 where !LiveProcesses.inGroup(pid).isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(LiveProcesses.inGroup(pid).isEmpty)
    }
}
