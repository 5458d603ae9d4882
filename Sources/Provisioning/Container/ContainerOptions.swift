import DrillSupport

/// How the container provisioner runs PostgreSQL: which CLI (`docker`, or `podman` with the
/// same commands) and which image. Containers always run with `--network=none`.
public struct ContainerOptions: Sendable, Equatable {
    /// `docker` or `podman`.
    public var runtime: String
    /// Arguments before the command (`--runtime runc` for podman on some machines).
    public var runtimeArguments: [String]
    /// The image; nil: `postgres:MAJOR` of the backup's major version. Digests allowed (`postgres@sha256:…`).
    public var image: String?
    /// The drill's name, put in a label so `restore-drill cleanup` can tell whose leftovers it finds.
    public var drillName: String
    /// Whose `pg_restore`/`psql` restore: this machine's of the backup's major when installed
    /// (`auto`, else the image's), always this machine's (`local`), or always the image's (`container`).
    public var clientTools: ClientTools = .auto

    /// Where the restore tools come from.
    public enum ClientTools: String, Sendable { case auto, local, container }

    /// Creates options.
    public init(runtime: String = "docker", runtimeArguments: [String] = [], image: String? = nil, drillName: String = "") {
        self.runtime = runtime
        self.runtimeArguments = runtimeArguments
        self.image = image
        self.drillName = drillName
    }

    /// What the docker/podman CLI inherits: the harmless base plus the variables that say which
    /// engine and configuration to use. Never libpq variables or the drill's secrets.
    public static let cliEnvironment = ChildEnvironment.scrubbedPlus([
        "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "CONTAINER_HOST",
        "CONTAINERS_CONF", "CONTAINERS_REGISTRIES_CONF", "CONTAINERS_STORAGE_CONF", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME", "XDG_DATA_HOME",
    ])

    /// The image for a major version.
    public func image(major: Int) -> String { image ?? "postgres:\(major)" }
}

/// Labels every drill container carries.
public enum ContainerLabels {
    /// Present on every container a drill starts; `cleanup` looks for it.
    public static let marker = "io.restore-drill"
    public static let drill = "io.restore-drill.drill"
    public static let created = "io.restore-drill.created"
    public static let owner = "io.restore-drill.pid"
}
