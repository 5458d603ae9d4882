import DrillSupport
import Foundation
import Reports
import Synchronization

/// Receives the drill's progress: one line per phase, plus throttled detail for long steps.
public protocol DrillProgress: Sendable {
    /// A phase begins.
    func phaseStarted(_ name: String)
    /// A phase ended.
    func phaseFinished(_ name: String, status: CaseStatus, seconds: Double, message: String?)
    /// Detail of a long step (bytes hashed, items restored).
    func detail(_ text: String)
}

/// Writes progress to standard error: a live line on a terminal, plain lines in CI.
public final class ConsoleProgress: DrillProgress {
    /// How much to print.
    public enum Verbosity: Sendable { case quiet, normal, verbose }

    private let verbosity: Verbosity
    private let isTerminal: Bool
    private let lastDetail = Mutex<ContinuousClock.Instant?>(nil)
    /// The phase running now, since when, and when anything was last printed about it.
    private let running = Mutex<(phase: String, since: ContinuousClock.Instant, printed: ContinuousClock.Instant, detail: String)?>(nil)
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    /// In CI, a phase that prints nothing else says it is still running this often.
    public static let heartbeat: Duration = .seconds(10)

    /// Creates a console reporter; `isTerminal` decides between live and plain lines.
    public init(verbosity: Verbosity, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.verbosity = verbosity
        self.isTerminal = isTerminal
    }

    deinit { ticker.withLock { $0 }?.cancel() }

    public func phaseStarted(_ name: String) {
        guard verbosity != .quiet else { return }
        let now = ContinuousClock.now
        running.withLock { $0 = (name, now, now, "") }
        startTicker()
        if isTerminal { write("\r\u{1B}[2K… \(name)") } else if verbosity == .verbose { write("[restore-drill] \(name): started\n") }
    }

    /// Once a second: on a terminal the live line's elapsed time; in CI a line when the phase
    /// has been silent for `heartbeat`, so a twenty-minute pg_restore of one table is never silent.
    private func startTicker() {
        ticker.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    guard let self else { return }
                    self.tick(now: ContinuousClock.now)
                }
            }
        }
    }

    func tick(now: ContinuousClock.Instant) {
        let line = running.withLock { state -> String? in
            guard let current = state else { return nil }
            let elapsed = DrillDuration.format(now - current.since)
            if isTerminal {
                return "\r\u{1B}[2K… \(current.phase) \(elapsed)" + (current.detail.isEmpty ? "" : "  \(current.detail.prefix(90))")
            }
            guard now - current.printed >= Self.heartbeat else { return nil }
            state?.printed = now
            return "[restore-drill]   \(current.phase): running for \(elapsed)\(current.detail.isEmpty ? "" : "; last: \(current.detail.prefix(120))")\n"
        }
        if let line { write(line) }
    }

    public func phaseFinished(_ name: String, status: CaseStatus, seconds: Double, message: String?) {
        running.withLock { $0 = nil }
        guard verbosity != .quiet || status == .failed || status == .error else { return }
        let mark = ["passed": "✓", "failed": "✗", "error": "!", "skipped": "-"][status.rawValue] ?? "?"
        let time = String(format: "%6.1fs", seconds)
        let tail = message.map { ": \($0)" } ?? ""
        if isTerminal {
            write("\r\u{1B}[2K\(mark) \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(time)  \(status.rawValue)\(tail)\n")
        } else {
            write("[restore-drill] \(name): \(status.rawValue) in \(String(format: "%.1f", seconds))s\(tail)\n")
        }
    }

    public func detail(_ text: String) {
        running.withLock { state in
            state?.detail = text
            if !isTerminal, verbosity != .quiet { state?.printed = ContinuousClock.now }
        }
        switch verbosity {
        case .quiet: return
        case .verbose: write((isTerminal ? "\r\u{1B}[2K" : "") + "  \(text)\n")
        case .normal:
            let now = ContinuousClock.now
            let due = lastDetail.withLock { last -> Bool in
                let interval: Duration = isTerminal ? .milliseconds(200) : .seconds(10)
                guard last.map({ now - $0 >= interval }) ?? true else { return false }
                last = now
                return true
            }
            guard due else { return }
            write(isTerminal ? "\r\u{1B}[2K  \(text.prefix(100))" : "[restore-drill]   \(text)\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(SecretMasker.shared.mask(text).utf8))
    }
}

/// Discards progress (tests, `--quiet` library use).
public struct SilentProgress: DrillProgress {
    /// Creates a silent reporter.
    public init() {}
    public func phaseStarted(_ name: String) {}
    public func phaseFinished(_ name: String, status: CaseStatus, seconds: Double, message: String?) {}
    public func detail(_ text: String) {}
}
