import DrillSupport
import Foundation

/// stunnel4 in front of a plain-HTTP server on loopback, with a self-signed certificate for
/// `localhost`: pgBackRest reaches S3 over TLS only, and moto's own `-s` certificate fails
/// in it ("unexpected eof"), measured on these machines.
public struct TLSFront: Sendable {
    /// `https://localhost:PORT`.
    public let endpoint: String
    public let port: Int
    /// The certificate, to trust as a CA file (`backup.ca_bundle`, `repo1-storage-ca-file`).
    public let certificate: String
    let root: String
    let task: Task<Void, Never>

    /// Starts it before `upstream` (`http://127.0.0.1:PORT`).
    public static func start(upstream: String) async throws -> TLSFront {
        guard let stunnel = findInPath("stunnel4") else { throw TestSupportError("stunnel4 is not installed: scripts/bootstrap installs it") }
        guard let upstreamPort = URLComponents(string: upstream)?.port else { throw TestSupportError("no port in \(upstream)") }
        let root = "/tmp/rdtest-tls-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(root, 0o755)
        let certificate = root + "/cert.pem", key = root + "/cert.key"
        let made = try await ProcessRunner.run(
            ToolInvocation(
                executable: "openssl",
                arguments: [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost",
                ]))
        guard made.succeeded else { throw TestSupportError("openssl req: \(made.standardError)") }
        chmod(certificate, 0o644)
        let port = FreePortForTests.pick()
        let config = root + "/stunnel.conf"
        try """
            foreground = yes
            pid =
            [s3]
            accept = 127.0.0.1:\(port)
            connect = 127.0.0.1:\(upstreamPort)
            cert = \(certificate)
            key = \(key)

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let invocation = ToolInvocation(executable: stunnel, arguments: [config], displayName: "stunnel4", gracePeriod: .seconds(1))
        let task = Task { _ = try? await ProcessRunner.run(invocation) }
        let front = TLSFront(endpoint: "https://localhost:\(port)", port: port, certificate: certificate, root: root, task: task)
        for _ in 0..<100 {
            if Self.accepts(port) { return front }
            try await Task.sleep(for: .milliseconds(50))
        }
        await front.stop()
        throw TestSupportError("stunnel4 did not listen on 127.0.0.1:\(port)")
    }

    /// Stops stunnel and removes the certificate.
    public func stop() async {
        task.cancel()
        await task.value
        try? FileManager.default.removeItem(atPath: root)
    }

    private static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
