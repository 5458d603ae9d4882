import DrillSupport
import Foundation
import PostgresClient

/// What a drill asks of a provisioner: a fresh, empty server of one major version.
public struct ProvisionRequest: Sendable {
    /// Major version the backup needs.
    public var majorVersion: Int
    /// `postgres.bin_dir` from the drill file, if given.
    public var binDirectory: String?
    /// Extra `postgresql.conf` settings from the drill file (already checked against quarantine).
    public var settings: [String: String]
    /// OS account that owns the data directory and runs the server when the drill runs as root.
    public var serverUser: String
    /// Also listen on 127.0.0.1 (default: the private unix socket only).
    public var listenOnLoopback: Bool
    /// Where the private temp dir is created (default `$TMPDIR` or `/tmp`).
    public var temporaryRoot: String?
    /// False only for the source servers that tests and the demo build backups from: those must
    /// archive WAL and serve `pg_basebackup`. Every drill server is quarantined.
    public var quarantined: Bool
    /// Files and folders the restore tools will read (a container mounts them read-only).
    public var readOnlyPaths: [String] = []
    /// `postgres.preload`: libraries for `shared_preload_libraries` (a logical restore of a
    /// database with pg_cron needs it), schedulers among them kept from running jobs.
    public var preload: [String] = []
    /// The database the backup is restored into (pg_cron keeps its tables there).
    public var restoreDatabase: String? = nil

    /// Creates a request.
    public init(
        majorVersion: Int, binDirectory: String? = nil, settings: [String: String] = [:], serverUser: String = "postgres",
        listenOnLoopback: Bool = false, temporaryRoot: String? = nil, quarantined: Bool = true, readOnlyPaths: [String] = []
    ) {
        self.readOnlyPaths = readOnlyPaths
        self.quarantined = quarantined
        self.majorVersion = majorVersion
        self.binDirectory = binDirectory
        self.settings = settings
        self.serverUser = serverUser
        self.listenOnLoopback = listenOnLoopback
        self.temporaryRoot = temporaryRoot
    }
}

/// Makes throwaway PostgreSQL servers. Implementations: `pg_ctl` here; `docker` and `external` plug in later.
public protocol Provisioner: Sendable {
    /// The drill-file name of this provisioner (`pg_ctl`).
    var kind: String { get }
    /// Creates and starts a fresh server; on failure (`ProvisionError`, or cancellation), leaves nothing behind.
    func provision(_ request: ProvisionRequest) async throws -> any ProvisionedServer
}

/// A running throwaway server that the drill restores into and tears down.
public protocol ProvisionedServer: AnyObject, Sendable {
    /// Superuser connection to the `postgres` database.
    var connection: ConnectionParameters { get }
    /// The programs of the server's version (pg_restore, psql...).
    var binaries: ServerBinaries { get }
    /// The private scratch directory (decompressed artifacts go under `work/`).
    var scratchDirectory: String { get }
    /// `pg_ctl`, `docker`...
    var provisionerKind: String { get }
    /// The last lines of the server log, for failure reports.
    func recentLog(lines: Int) -> String
    /// Stops the server and removes everything it made. Idempotent; never throws: problems are returned as text.
    func tearDown() async -> [String]
    /// Starts the server with `settings` added to the provisioner's, waiting until it accepts
    /// connections or gives up. Does not throw when the server refuses to start: recovery
    /// reads the result and the log to say why.
    func launch(settings: [String: String], timeout: Duration) async throws -> ToolResult
    /// True while the postmaster runs.
    var isRunning: Bool { get }
    /// The whole server log, masked.
    func serverLog() -> String
    /// How to connect to and stop the server when `--keep` leaves it running.
    func keepInstructions(database: String) async -> String
    /// How to run a client tool (`pg_restore`, `psql`) against this server: this machine's
    /// binaries, or the ones in the server's container.
    func toolInvocation(_ tool: String, arguments: [String], environment: [String: String]) -> ToolInvocation
    /// Where a tool run by `toolInvocation` sees a file of this machine (a backup, a staged archive).
    func toolPath(_ hostPath: String) -> String
    /// The namespaces the server runs in, which checks and services join (nil: none).
    var sandbox: DrillSandbox? { get }
    /// Why the server runs without a sandbox, for the report (nil: it has one, or needs none).
    var containmentGap: String? { get }
    /// The OS account restore tools run as (nil: this process's own, when that is not root).
    var toolUser: OSUser? { get }
}

extension ProvisionedServer {
    public func toolInvocation(_ tool: String, arguments: [String], environment: [String: String]) -> ToolInvocation {
        ToolInvocation(executable: binaries.path(tool), arguments: arguments, environment: environment, displayName: tool)
    }

    public func toolPath(_ hostPath: String) -> String { hostPath }
    public var sandbox: DrillSandbox? { nil }
    public var containmentGap: String? { nil }
    public var toolUser: OSUser? { nil }
}

/// A server whose data directory came from a base backup and is started in recovery: where
/// its files are (the restore_command script goes under `root`, seen by the server at the
/// same path), who the server runs as, and which role to connect as.
public protocol RecoverableServer: ProvisionedServer {
    /// A folder of the drill's own, visible to the server at the same path.
    var root: String { get }
    var dataDirectory: String { get }
    /// The local OS account the server runs as (pg_ctl as root), nil otherwise.
    var serverUser: OSUser? { get }
    /// True when the server runs as an account of its own (a container's `postgres`): files it
    /// must read are made readable to others.
    var serverReadsAsOther: Bool { get }
    /// Connects as `role` from now on (a superuser of the restored cluster).
    func useSuperuser(_ role: String)
    /// Where the server reads the WAL archive found at `path` (a staged copy for a container).
    func walArchivePath(for path: String) -> String
    /// For a promoted copy none of whose known superuser names exists: stops it, reads its
    /// bootstrap superuser with a standalone backend (`BootstrapSuperuser`), trusts that role
    /// on the private socket, starts the copy again with `settings` and connects as the role.
    /// Returns the role's name.
    func restartAsBootstrapSuperuser(settings: [String: String], timeout: Duration) async throws -> String
}

extension RecoverableServer {
    public func walArchivePath(for path: String) -> String { path }
}

extension PgCtlServer: RecoverableServer {
    public var serverReadsAsOther: Bool { false }
}

/// What a physical restore's populate step gets: where to lay the backup out, and how to run
/// tools there.
public struct PopulateContext: Sendable {
    public var dataDirectory: String
    public var tablespaceDirectory: String
    /// Wraps a tool to run as the server's account in the sandbox: no network, every file
    /// system read-only but the drill's folder.
    public var contain: @Sendable (ToolInvocation) -> ToolInvocation
    /// Wraps a tool that must reach a backup store (a backup tool's own download): the same
    /// account, read-only file systems and process namespace, with the host's network. nil
    /// where the provisioner has no such scope.
    public var containWithNetwork: (@Sendable (ToolInvocation) -> ToolInvocation)?

    public init(
        dataDirectory: String, tablespaceDirectory: String, contain: @escaping @Sendable (ToolInvocation) -> ToolInvocation,
        containWithNetwork: (@Sendable (ToolInvocation) -> ToolInvocation)? = nil
    ) {
        self.dataDirectory = dataDirectory
        self.tablespaceDirectory = tablespaceDirectory
        self.contain = contain
        self.containWithNetwork = containWithNetwork
    }
}
