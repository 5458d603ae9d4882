import Foundation

/// The container CLI command lines, built as data so they can be checked without a runtime.
public enum ContainerCommands {
    /// `run -d …`: PostgreSQL in a new container with the drill's labels, the password passed by
    /// name only (`-e POSTGRES_PASSWORD`, its value in the CLI's environment, never in argv),
    /// no network at all (the drill reaches it through a unix socket in a mounted folder), the
    /// data directory mounted when given, settings as `-c`.
    public static func run(
        _ options: ContainerOptions, name: String, image: String, port: Int, settings: [String: String], dataDirectory: String?,
        created: String, ownerPID: Int32, readOnlyFiles: [(host: String, container: String)] = [],
        readWriteFolders: [(host: String, container: String)] = [], pgdata: String = "/var/lib/postgresql/data"
    ) -> [String] {
        var arguments = options.runtimeArguments + ["run", "--detach", "--name", name]
        arguments += ["--label", "\(ContainerLabels.marker)=1", "--label", "\(ContainerLabels.drill)=\(options.drillName)"]
        arguments += ["--label", "\(ContainerLabels.created)=\(created)", "--label", "\(ContainerLabels.owner)=\(ownerPID)"]
        arguments += ["--env", "POSTGRES_PASSWORD", "--env", "PGDATA=\(pgdata)"]
        var serverSettings = settings
        arguments += ["--network", "none"]
        serverSettings["listen_addresses"] = ""
        serverSettings["port"] = String(port)
        if let dataDirectory { arguments += ["--volume", "\(dataDirectory):/var/lib/postgresql/data"] }
        for file in readOnlyFiles { arguments += ["--volume", "\(file.host):\(file.container):ro"] }
        for folder in readWriteFolders { arguments += ["--volume", "\(folder.host):\(folder.container)"] }
        arguments += [image, "postgres"]
        for (key, value) in serverSettings.sorted(by: { $0.key < $1.key }) { arguments += ["-c", "\(key)=\(value)"] }
        return arguments
    }

    /// `run --rm --interactive …`: a standalone backend (`postgres --single`) over the mounted
    /// data directory, with the drill's labels and no network; it reads its statement from
    /// standard input and exits at its end.
    public static func singleUser(
        _ options: ContainerOptions, name: String, image: String, arguments backend: [String], created: String, ownerPID: Int32,
        readOnlyFiles: [(host: String, container: String)], readWriteFolders: [(host: String, container: String)], pgdata: String
    ) -> [String] {
        var arguments = options.runtimeArguments + ["run", "--rm", "--interactive", "--name", name]
        arguments += ["--label", "\(ContainerLabels.marker)=1", "--label", "\(ContainerLabels.drill)=\(options.drillName)"]
        arguments += ["--label", "\(ContainerLabels.created)=\(created)", "--label", "\(ContainerLabels.owner)=\(ownerPID)"]
        arguments += ["--env", "PGDATA=\(pgdata)", "--network", "none"]
        for file in readOnlyFiles { arguments += ["--volume", "\(file.host):\(file.container):ro"] }
        for folder in readWriteFolders { arguments += ["--volume", "\(folder.host):\(folder.container)"] }
        return arguments + [image, "postgres"] + backend
    }

    /// `stop --time 30 NAME` (the image's stop signal is SIGINT: a fast shutdown).
    public static func stop(_ options: ContainerOptions, name: String) -> [String] {
        options.runtimeArguments + ["stop", "--time", "30", name]
    }

    /// `logs --follow NAME`.
    public static func followLogs(_ options: ContainerOptions, name: String) -> [String] {
        options.runtimeArguments + ["logs", "--follow", name]
    }

    /// `rm --force --volumes NAME`.
    public static func remove(_ options: ContainerOptions, name: String) -> [String] {
        options.runtimeArguments + ["rm", "--force", "--volumes", name]
    }

    /// `ps --all` of every drill container: name, drill label, created label, owner pid, state.
    /// (docker's template has `.Label "x"`; podman's has `index .Labels "x"`.)
    public static func listDrillContainers(_ options: ContainerOptions) -> [String] {
        let label = { (name: String) in options.runtime == "podman" ? "{{index .Labels \"\(name)\"}}" : "{{.Label \"\(name)\"}}" }
        return options.runtimeArguments + [
            "ps", "--all", "--filter", "label=\(ContainerLabels.marker)", "--format",
            "{{.Names}}\t\(label(ContainerLabels.drill))\t\(label(ContainerLabels.created))\t\(label(ContainerLabels.owner))\t{{.State}}",
        ]
    }

    /// `image inspect IMAGE` (exit 0 when the image is there).
    public static func inspectImage(_ options: ContainerOptions, image: String) -> [String] {
        options.runtimeArguments + ["image", "inspect", "--format", "{{.Id}}", image]
    }

    /// `pull IMAGE`.
    public static func pull(_ options: ContainerOptions, image: String) -> [String] {
        options.runtimeArguments + ["pull", image]
    }

    /// `wait NAME`: returns when the container stops.
    public static func wait(_ options: ContainerOptions, name: String) -> [String] {
        options.runtimeArguments + ["wait", name]
    }

    /// `inspect --format {{.State.Running}} NAME`.
    public static func isRunning(_ options: ContainerOptions, name: String) -> [String] {
        options.runtimeArguments + ["inspect", "--format", "{{.State.Running}}", name]
    }
}
