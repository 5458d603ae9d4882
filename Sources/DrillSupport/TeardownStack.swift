import Foundation
import Synchronization

/// What a drill acquired, released once, in reverse, whatever happened.
///
/// Each resource joins the stack the moment it is acquired (a server, a service, a container);
/// `unwind()` releases them last-in first-out in a detached task, so a SIGINT that cancelled the
/// drill does not also cancel the `pg_ctl stop` or `podman rm` that teardown runs.
public final class TeardownStack: Sendable {
    /// One release and what it reported.
    public struct Release: Sendable {
        public var name: String
        public var problems: [String]
        public var seconds: Double
    }

    private let entries = Mutex<[(name: String, action: @Sendable () async -> [String])]>([])

    /// An empty stack.
    public init() {}

    /// Adds a resource; `action` releases it and returns problems as text (never throws).
    public func push(_ name: String, _ action: @escaping @Sendable () async -> [String]) {
        entries.withLock { $0.append((name, action)) }
    }

    /// True when nothing is left to release.
    public var isEmpty: Bool { entries.withLock { $0.isEmpty } }

    /// Releases everything pushed so far, newest first, outside the caller's cancellation.
    /// Safe to call again: each resource is released once.
    public func unwind() async -> [Release] {
        let taken = entries.withLock { entries -> [(name: String, action: @Sendable () async -> [String])] in
            defer { entries.removeAll() }
            return entries
        }
        return await Task.detached {
            var releases: [Release] = []
            for entry in taken.reversed() {
                let start = ContinuousClock.now
                let problems = await entry.action()
                releases.append(Release(name: entry.name, problems: problems, seconds: (ContinuousClock.now - start).seconds))
            }
            return releases
        }.value
    }
}
