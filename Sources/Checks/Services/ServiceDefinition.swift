/// An application process the drill starts after the restore, pointed at the restored
/// database, so checks can exercise it (an `http` login, an admin page).
public struct ServiceDefinition: Sendable {
    /// How the harness knows the service is up.
    public enum Readiness: Sendable {
        /// A GET that answers with a 2xx status; a path (`/health`) is relative to the service's own URL.
        case url(VariableTemplate)
        /// A program that exits 0 once the service is up.
        case command(program: String, arguments: [String])
    }

    /// Its name: `${service.NAME.url}` and `${service.NAME.port}` refer to it.
    public var name: String
    /// Program and arguments (no shell), working directory and added environment (values may use `${var}`).
    public var program: String
    public var arguments: [String]
    public var environment: [(name: String, value: VariableTemplate)]
    public var workingDirectory: String
    public var readiness: Readiness
    /// How long it may take to become ready.
    public var startTimeout: Duration
    /// Fixed port; nil: the harness picks a free one and passes it in `PORT`.
    public var port: Int?

    /// Creates a definition.
    public init(
        name: String, program: String, arguments: [String], environment: [(name: String, value: VariableTemplate)],
        workingDirectory: String, readiness: Readiness, startTimeout: Duration, port: Int?
    ) {
        self.name = name
        self.program = program
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.readiness = readiness
        self.startTimeout = startTimeout
        self.port = port
    }

    /// Variables the service makes available to checks, by name (values known once it runs).
    public var providedVariables: [String] { ["service.\(name).url", "service.\(name).port"] }

    /// Variables its environment and readiness URL refer to.
    public var variableNames: [String] {
        var names = environment.flatMap(\.value.names)
        if case .url(let template) = readiness { names += template.names }
        return names
    }
}
