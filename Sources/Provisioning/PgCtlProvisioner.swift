import DrillSupport
import Foundation
import PostgresClient

/// Provisions a server with the local `initdb` and `pg_ctl`, in a private temp dir, on a
/// random port and a private unix socket, as an unprivileged OS account when run as root.
public struct PgCtlProvisioner: Provisioner {
    /// The superuser role the drill creates in a fresh cluster.
    public static let superuser = "restore_drill"

    public var kind: String { "pg_ctl" }

    /// Creates the provisioner.
    public init() {}

    public func provision(_ request: ProvisionRequest) async throws -> any ProvisionedServer {
        let (binaries, owner) = try await prepare(request)
        let root = try ScratchDirectory.create(root: request.temporaryRoot, owner: owner)
        let connection = ConnectionParameters(
            host: root + "/socket", port: FreePort.pick(), user: Self.superuser, password: Self.generatePassword(), database: "postgres")
        let (sandbox, gap) = request.quarantined ? await Self.sandbox(root: root) : (nil, nil)
        let server = PgCtlServer(
            root: root, binaries: binaries, owner: owner, connection: connection, listenOnLoopback: request.listenOnLoopback,
            quarantined: request.quarantined, sandbox: sandbox, containmentGap: gap)
        do {
            try server.makeDirectories()
            try Self.checkPreloadsInstalled(request, binaries: binaries)
            try await server.initialise(settings: request.settings.merging(SchedulerQuarantine.preloadSettings(request, scratch: root)) { $1 })
            try await server.start()
            return server
        } catch {
            _ = await server.tearDown()
            throw error
        }
    }

    /// Makes a server whose data directory `populate` fills from a base backup; it is not
    /// started (recovery starts it). `superusers` are the roles of the restored cluster that may
    /// be the superuser, reached with trust authentication over the private socket (the first is
    /// tried first); every other role must give its password. Returns the server and report notes.
    public func provisionFromBackup(
        _ request: ProvisionRequest, superusers: [String], allowedPreloads: Set<String>,
        populate: (PopulateContext) async throws -> [String]
    ) async throws -> (PgCtlServer, [String]) {
        let (binaries, owner) = try await prepare(request)
        let root = try ScratchDirectory.create(root: request.temporaryRoot, owner: owner)
        let connection = ConnectionParameters(host: root + "/socket", port: FreePort.pick(), user: superusers.first ?? "postgres", database: "postgres")
        let (sandbox, gap) = await Self.sandbox(root: root)
        let server = PgCtlServer(
            root: root, binaries: binaries, owner: owner, connection: connection, listenOnLoopback: request.listenOnLoopback,
            quarantined: true, sandbox: sandbox, containmentGap: gap)
        do {
            try server.makeDirectories()
            // The backup is untrusted: it is laid out by the server's account, inside the sandbox.
            try ScratchDirectory.makeDirectory(server.dataDirectory, owner: owner)
            var notes = try await populate(
                PopulateContext(
                    dataDirectory: server.dataDirectory, tablespaceDirectory: server.tablespaceDirectory, contain: { server.serverInvocation($0) },
                    containWithNetwork: { server.fetcherInvocation($0) }))
            notes += try await server.adoptDataDirectory(settings: request.settings, trustedRoles: superusers, allowedPreloads: allowedPreloads)
            return (server, notes)
        } catch {
            _ = await server.tearDown()
            throw error
        }
    }

    /// Each `postgres.preload` library must be installed for this major: the server would refuse to start.
    static func checkPreloadsInstalled(_ request: ProvisionRequest, binaries: ServerBinaries) throws {
        for library in request.preload where !binaries.hasLibrary(library) {
            let package = library == "pg_cron" ? "postgresql-\(binaries.majorVersion)-cron" : "the package that provides \(library)"
            throw ProvisionError(
                .binariesNotFound,
                "postgres.preload names \(library), which is not installed for PostgreSQL \(binaries.majorVersion) here (no \(binaries.libraryDirectory)/\(library).so): install \(package)")
        }
    }

    private func prepare(_ request: ProvisionRequest) async throws -> (ServerBinaries, OSUser?) {
        for name in request.settings.keys where request.quarantined {
            if let reason = QuarantineSettings.rejectionReason(for: name) { throw ProvisionError(.forbiddenSetting, reason) }
        }
        let binaries = try await ServerBinaries.locate(major: request.majorVersion, explicitDirectory: request.binDirectory)
        guard OSUser.isRoot else { return (binaries, nil) }
        guard let found = OSUser.lookup(name: request.serverUser), found.uid != 0 else {
            throw ProvisionError(
                .userNotFound,
                """
                PostgreSQL refuses to run as root, and the OS account '\(request.serverUser)' to run it as does not exist. \
                Create it (useradd --system \(request.serverUser)) or set postgres.os_user in the drill file.
                """)
        }
        return (binaries, found)
    }

    /// The namespaces a drill server runs in, or why there are none.
    static func sandbox(root: String) async -> (DrillSandbox?, String?) {
        do {
            return (try await DrillSandbox.start(writableRoot: root), nil)
        } catch let error as SandboxUnavailable {
            return (nil, error.reason)
        } catch {
            return (nil, "\(error)")
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
