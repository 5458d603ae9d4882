import DrillSupport
import Foundation

/// Reads check files: one check per file, or a list under `checks:`.
public enum CheckLoader {
    /// Keys every check may have.
    static let commonKeys: Set<String> = ["id", "name", "description", "tags", "timeout", "kind", "message", "after"]
    /// The keys of each kind besides the common ones: a key of another kind is a mistake (it
    /// would be ignored), refused with its file and line like any unknown key.
    static let kindKeys: [String: Set<String>] = [
        "sql": ["query", "database", "params", "expect"],
        "command": ["run", "args", "env", "workdir"],
        "tables": ["tables", "database", "scan"],
        "freshness": ["table", "column", "within", "database"],
        "integrity": ["heapallindexed", "database"],
        "login": ["role", "app_user"],
        "import": ["table", "csv", "csv_from", "columns", "header", "expect", "database"],
        "http": ["method", "url", "headers", "body", "body_file", "basic_auth", "ca_bundle", "follow_redirects", "expect"],
    ]
    /// Default per-check timeout.
    public static let defaultTimeout: Duration = .seconds(60)

    /// Loads every `*.yaml`/`*.yml` file of a pack directory in name order; the pack is the folder's name.
    public static func loadPack(directory: String) throws(ConfigError) -> [CheckDefinition] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw ConfigError(file: directory, message: "the check pack cannot be read: \(YAMLValue.describe(error))")
        }
        guard !files.isEmpty else { throw ConfigError(file: directory, message: "the check pack holds no .yaml check files") }
        let pack = (directory as NSString).lastPathComponent
        var checks: [CheckDefinition] = []
        for file in files { checks += try loadFile(path: directory + "/" + file, pack: pack) }
        return checks
    }

    /// Loads the checks of one file.
    public static func loadFile(path given: String, pack: String) throws(ConfigError) -> [CheckDefinition] {
        // Absolute, so a command check's relative `run:` and `workdir:` work from any folder.
        let path = given.hasPrefix("/") ? (given as NSString).standardizingPath : ((FileManager.default.currentDirectoryPath + "/" + given) as NSString).standardizingPath
        let root = try YAMLValue.load(path: path)
        if let list = root["checks"] {
            try root.rejectUnknownKeys(["checks"])
            var result: [CheckDefinition] = []
            for item in try list.sequence() { result.append(try parseCheck(item, pack: pack, path: path)) }
            return result
        }
        return [try parseCheck(root, pack: pack, path: path)]
    }

    /// Checks that every `after:` names a check of the drill and that they form no cycle.
    public static func validateOrder(_ checks: [CheckDefinition]) throws(ConfigError) {
        let ids = Set(checks.map(\.id))
        for check in checks {
            for dependency in check.after where !ids.contains(dependency) {
                throw ConfigError(file: check.file, message: "check '\(check.id)' runs after '\(dependency)', which is not a check of this drill")
            }
        }
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        let byID = Dictionary(checks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func visit(_ id: String, path: [String]) throws(ConfigError) {
            if state[id] == 2 { return }
            if state[id] == 1 {
                throw ConfigError(file: byID[id]!.file, message: "checks depend on each other in a cycle: \((path + [id]).joined(separator: " → "))")
            }
            state[id] = 1
            for next in byID[id]?.after ?? [] { try visit(next, path: path + [id]) }
            state[id] = 2
        }
        for check in checks { try visit(check.id, path: []) }
    }

    /// Parses one check from an already parsed node (the fuzz target's entry; files go through `loadFile`).
    public static func parseCheckForFuzzing(_ node: YAMLValue) throws(ConfigError) -> CheckDefinition {
        try parseCheck(node, pack: "fuzz", path: "fuzz.yaml")
    }

    static func parseCheck(_ node: YAMLValue, pack: String, path: String) throws(ConfigError) -> CheckDefinition {
        guard node.isMapping else { throw node.error("a check is a mapping with id, kind and the kind's keys") }
        let kindName = try node["kind"]?.string() ?? "sql"
        guard let ownKeys = kindKeys[kindName] else {
            throw try node.required("kind").error(
                "unknown check kind '\(kindName)'; this version supports: sql, command, tables, freshness, integrity, login, import, http")
        }
        try node.rejectUnknownKeys(commonKeys.union(ownKeys), context: "\(kindName.first.map { "aeio".contains($0) } == true ? "an" : "a") \(kindName) check")
        let id = try node.required("id").string()
        guard id.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]*$"#, options: .regularExpression) != nil else {
            throw try node.required("id").error("'\(id)' is not a valid check id: use letters, digits, '.', '_' and '-'")
        }
        let kind: CheckKind
        switch kindName {
        case "sql": kind = .sql(try parseSQL(node))
        case "command": kind = .command(try parseCommand(node, path: path))
        case "tables": kind = .tables(try parseTables(node))
        case "freshness": kind = .freshness(try parseFreshness(node))
        case "integrity":
            kind = .integrity(IntegrityCheck(heapAllIndexed: try node["heapallindexed"]?.bool() ?? false, database: try node["database"]?.string()))
        case "login": kind = .login(try parseLogin(node))
        case "import": kind = .importRows(try parseImport(node, path: path))
        case "http": kind = .http(try parseHTTP(node))
        default:
            throw try node.required("kind").error(
                "unknown check kind '\(kindName)'; this version supports: sql, command, tables, freshness, integrity, login, import, http")
        }
        var check = CheckDefinition(
            id: id, name: try node["name"]?.string() ?? id, description: try node["description"]?.string().trimmingCharacters(in: .whitespacesAndNewlines),
            tags: try node["tags"]?.stringList() ?? [], timeout: try node["timeout"]?.duration() ?? defaultTimeout,
            kind: kind, pack: pack, file: path, failureMessage: try node["message"]?.string())
        check.after = try node["after"]?.stringList() ?? []
        return check
    }

    static func parseSQL(_ node: YAMLValue) throws(ConfigError) -> SQLCheck {
        let query = try node.required("query", hint: "a sql check needs the statement to run").string()
        let expect = try node.required("expect", hint: "say what the result must be: true, {rows: {min: 1}}, {value: ...} or {within: 1h}")
        return SQLCheck(
            query: query, database: try node["database"]?.string(), parameters: try node["params"]?.stringList() ?? [],
            expectation: try parseExpectation(expect))
    }

    static func parseCommand(_ node: YAMLValue, path: String) throws(ConfigError) -> CommandCheck {
        let folder = (path as NSString).deletingLastPathComponent
        var program = try node.required("run", hint: "the program to run, e.g. run: ./smoke.sh or run: pg_prove").string()
        if program.contains("/") && !program.hasPrefix("/") { program = ((folder + "/" + program) as NSString).standardizingPath }
        var environment: [String: VariableTemplate] = [:]
        if let env = node["env"] {
            for (key, value) in try env.entries() { environment[key] = try template(value) }
        }
        var workingDirectory = folder.isEmpty ? "." : folder
        if let workdir = try node["workdir"]?.string() {
            workingDirectory = workdir.hasPrefix("/") ? workdir : ((folder + "/" + workdir) as NSString).standardizingPath
        }
        return CommandCheck(
            program: program, arguments: try node["args"]?.stringList() ?? [], environment: environment, workingDirectory: workingDirectory)
    }

    static func parseTables(_ node: YAMLValue) throws(ConfigError) -> TablesCheck {
        var entries: [TablesCheck.Entry] = []
        for item in try node.required("tables", hint: "list schema.table names, globs allowed, e.g. [app.users, app.audit_*]").sequence() {
            if item.isMapping {
                try item.rejectUnknownKeys(["name", "min_rows"])
                entries.append(TablesCheck.Entry(pattern: try item.required("name").string(), minimumRows: try item["min_rows"]?.int()))
            } else {
                entries.append(TablesCheck.Entry(pattern: try item.string(), minimumRows: nil))
            }
        }
        for entry in entries where !entry.pattern.contains(".") {
            throw node.error("'\(entry.pattern)' must be schema-qualified (schema.table)")
        }
        return TablesCheck(entries: entries, database: try node["database"]?.string(), scanLimit: try node["scan"]?.duration())
    }

    /// `freshness` is a `within` query on max(column), with both names quoted as identifiers.
    static func parseFreshness(_ node: YAMLValue) throws(ConfigError) -> SQLCheck {
        let table = try node.required("table", hint: "the schema.table to look at").string()
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw try node.required("table").error("'\(table)' must be schema-qualified (schema.table)") }
        let column = try node.required("column", hint: "the timestamptz column that records when rows were written").string()
        let quoted = { (name: String) in "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return SQLCheck(
            query: "SELECT max(\(quoted(column))) FROM \(quoted(parts[0])).\(quoted(parts[1]))", database: try node["database"]?.string(),
            parameters: [], expectation: .within(try node.required("within", hint: "how old the newest row may be, e.g. 1h").duration()),
            subject: "\(table).\(column)")
    }

    static func parseExpectation(_ node: YAMLValue) throws(ConfigError) -> SQLExpectation {
        if !node.isMapping {
            guard try node.bool() else { throw node.error("expect: false is not an expectation; write a query that returns true when all is well") }
            return .isTrue
        }
        try node.rejectUnknownKeys(["rows", "value", "within"])
        let entries = try node.entries()
        guard entries.count == 1, let (key, value) = entries.first else {
            throw node.error("give exactly one of rows, value or within")
        }
        switch key {
        case "rows":
            if !value.isMapping { return .rows(min: nil, max: nil, equal: try value.int()) }
            try value.rejectUnknownKeys(["min", "max", "eq"])
            let bounds = (min: try value["min"]?.int(), max: try value["max"]?.int(), equal: try value["eq"]?.int())
            guard bounds.min != nil || bounds.max != nil || bounds.equal != nil else {
                throw value.error("give min, max or eq")
            }
            return .rows(min: bounds.min, max: bounds.max, equal: bounds.equal)
        case "value": return .value(try value.string())
        default: return .within(try value.duration())
        }
    }
}
