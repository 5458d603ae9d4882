import Dispatch
import Foundation

/// Runs the drill as a task that SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session)
/// cancel, so teardown still runs and the command exits 130 afterwards. A second signal while
/// tearing down exits at once; the sandbox and the watchdogs still end what the drill started.
enum SignalScope {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let task = Task { await body() }
        let signalCount = SignalCounter()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if signalCount.increment() == 1 {
                    FileHandle.standardError.write(Data("\nrestore-drill: interrupted (\(String(cString: strsignal(number)))); tearing down (signal again to abandon teardown)\n".utf8))
                    task.cancel()
                } else {
                    FileHandle.standardError.write(Data("restore-drill: teardown abandoned; leftovers may remain in /tmp/restore-drill-*\n".utf8))
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
        let value = await task.value
        sources.forEach { $0.cancel() }
        return value
    }
}

final class SignalCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
