import Foundation
import Synchronization

/// Listens on 127.0.0.1:PORT in the drill's own network and forwards each connection to the
/// restored server's unix socket: `postgres.listen_on_loopback` for a server that has no
/// network of its own. Connections go one way only: whoever is on this machine's loopback
/// reaches the server; the server still reaches nothing.
public final class LoopbackRelay: Sendable {
    /// The loopback port.
    public let port: Int
    /// The socket file connections go to.
    public let socketPath: String
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let connections = Mutex<Set<Int32>>([])

    /// Starts relaying 127.0.0.1:`port` to `socketPath`; throws when the port cannot be bound.
    public init(port: Int, socketPath: String) throws(SandboxUnavailable) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SandboxUnavailable(reason: "cannot open a socket for the loopback relay") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw SandboxUnavailable(reason: "cannot listen on 127.0.0.1:\(port) for the loopback relay: \(reason)")
        }
        self.port = port
        self.socketPath = socketPath
        self.listener = descriptor
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "restore-drill.relay"
        thread.start()
    }

    /// Stops listening and ends every relayed connection.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for descriptor in connections.withLock({ $0 }) { shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 250) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard let upstream = connectToSocket() else {
                close(client)
                continue
            }
            connections.withLock { $0.formUnion([client, upstream]) }
            let thread = Thread { [self] in
                Self.shuttle(client, upstream)
                connections.withLock { $0.subtract([client, upstream]) }
                close(client)
                close(upstream)
            }
            thread.start()
        }
    }

    private func connectToSocket() -> Int32? {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            return nil
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Copies bytes both ways until either side closes.
    static func shuttle(_ a: Int32, _ b: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pollers = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        while true {
            guard poll(&pollers, 2, -1) > 0 else {
                if errno == EINTR { continue }
                return
            }
            for (index, poller) in pollers.enumerated() where poller.revents != 0 {
                let from = index == 0 ? a : b
                let to = index == 0 ? b : a
                let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                var offset = 0
                while offset < count {
                    // MSG_NOSIGNAL: a peer that went away is an ended connection, not a SIGPIPE.
                    let written = buffer.withUnsafeBytes { send(to, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }
}
