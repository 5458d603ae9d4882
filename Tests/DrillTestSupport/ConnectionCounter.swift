import Foundation
import Synchronization

/// A TCP listener on 127.0.0.1 that counts connection attempts: the stand-in for
/// production's publisher or primary, which a restored copy must never call.
public final class ConnectionCounter: Sendable {
    /// The port it listens on.
    public let port: Int
    private let descriptor: Int32
    private let accepted = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts listening on a free port.
    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, bound == 0, listen(descriptor, 16) == 0 else { throw TestSupportError("cannot listen on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Connections accepted so far.
    public var count: Int { accepted.load(ordering: .relaxed) }

    /// Stops listening (the accept loop polls, so it ends within a second at most).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        for _ in 0..<40 where !finished.load(ordering: .relaxed) { usleep(50_000) }
        close(descriptor)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let client = accept(descriptor, nil, nil)
            if client >= 0 {
                accepted.add(1, ordering: .relaxed)
                close(client)
            }
        }
        finished.store(true, ordering: .relaxed)
    }
}
