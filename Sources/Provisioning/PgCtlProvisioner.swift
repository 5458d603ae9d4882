import DrillSupport
import Foundation
import PostgresClient

/// Provisions a server with the local `initdb` and `pg_ctl`, in a private temp dir, on a
/// random port and a private unix socket, as an unprivileged OS account when run as root.
public struct PgCtlProvisioner: Provisioner {
    /// The superuser role the drill creates in its throwaway cluster.
    public static let superuser = "restore_drill"

    public var kind: String { "pg_ctl" }

    /// Creates the provisioner.
    public init() {}

    public func provision(_ request: ProvisionRequest) async throws -> any ProvisionedServer {
        for name in request.settings.keys {
            if let reason = QuarantineSettings.rejectionReason(for: name) { throw ProvisionError(.forbiddenSetting, reason) }
        }
        let binaries = try await ServerBinaries.locate(major: request.majorVersion, explicitDirectory: request.binDirectory)
        let owner: OSUser?
        if OSUser.isRoot {
            guard let found = OSUser.lookup(name: request.serverUser), found.uid != 0 else {
                throw ProvisionError(
                    .userNotFound,
                    """
                    PostgreSQL refuses to run as root, and the OS account '\(request.serverUser)' to run it as does not exist. \
                    Create it (useradd --system \(request.serverUser)) or set postgres.os_user in the drill file.
                    """)
            }
            owner = found
        } else {
            owner = nil
        }
        let root = try ScratchDirectory.create(root: request.temporaryRoot, owner: owner)
        let server = PgCtlServer(
            root: root, binaries: binaries, owner: owner, port: FreePort.pick(),
            password: Self.generatePassword(), listenOnLoopback: request.listenOnLoopback)
        do {
            try await server.initialise(settings: request.settings)
            try await server.start()
            return server
        } catch {
            _ = await server.tearDown()
            throw error
        }
    }

    static func generatePassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        let password = String((0..<32).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        SecretMasker.shared.register(password)
        return password
    }
}
