import DrillSupport
import Foundation

/// Parsing of the built-in kinds that need more than a query: login, import, http.
extension CheckLoader {
    static func template(_ node: YAMLValue) throws(ConfigError) -> VariableTemplate {
        let text = try node.string()
        do {
            return try VariableTemplate(text)
        } catch {
            throw node.error(error.message)
        }
    }

    static func parseLogin(_ node: YAMLValue) throws(ConfigError) -> LoginCheck {
        var check = LoginCheck()
        if let role = node["role"] {
            try role.rejectUnknownKeys(["name", "password", "database"])
            check.role = LoginCheck.RoleLogin(
                role: try template(try role.required("name", hint: "the role to log in as, e.g. name: app_admin")),
                password: try template(try role.required("password", hint: "a drill variable holding its password, e.g. password: ${app_admin_password}")),
                database: try role["database"]?.string())
        }
        if let user = node["app_user"] {
            try user.rejectUnknownKeys(["table", "match", "hash_column", "password", "where", "ignore_case", "refuse"])
            let table = try user.required("table", hint: "the schema.table of the application's users").string()
            guard table.contains(".") else { throw try user.required("table").error("'\(table)' must be schema-qualified (schema.table)") }
            let matchNode = try user.required("match", hint: "how to find the user row, e.g. match: {email: ${admin_email}}")
            var match: [(column: String, value: VariableTemplate)] = []
            for (column, value) in try matchNode.entries() { match.append((column, try template(value))) }
            guard !match.isEmpty else { throw matchNode.error("give at least one column: value to find the user row") }
            check.appUser = LoginCheck.AppUserLogin(
                table: table, match: match,
                hashColumn: try user.required("hash_column", hint: "the column holding the password hash, e.g. encrypted_password").string(),
                password: try template(try user.required("password", hint: "a drill variable holding the password, e.g. password: ${admin_password}")),
                condition: try user["where"]?.string())
            if let columns = user["ignore_case"] {
                for column in try columns.sequence() {
                    let name = try column.string()
                    guard match.contains(where: { $0.column == name }) else {
                        throw column.error("'\(name)' is not a match column; ignore_case names columns of match: (\(match.map(\.column).joined(separator: ", ")))")
                    }
                    check.appUser?.ignoringCase.insert(name)
                }
            }
            for rule in try user["refuse"]?.sequence() ?? [] {
                try rule.rejectUnknownKeys(["when", "because"])
                check.appUser?.refusals.append(
                    LoginCheck.Refusal(
                        when: try rule.required("when", hint: "SQL over the user row, e.g. when: banned_until > now()").string(),
                        because: try rule.required("because", hint: "what the state means, e.g. because: the admin is banned").string()))
            }
        }
        guard check.role != nil || check.appUser != nil else {
            throw node.error("a login check needs role: {name, password} and/or app_user: {table, match, hash_column, password}")
        }
        for password in [check.role?.password, check.appUser?.password].compactMap({ $0 }) where password.names.isEmpty {
            throw node.error("a login password must come from a drill variable (password: ${name}), never be written in a check file")
        }
        return check
    }

    static func parseImport(_ node: YAMLValue, path: String) throws(ConfigError) -> ImportCheck {
        let folder = (path as NSString).deletingLastPathComponent
        let table = try node.required("table", hint: "the schema.table the import writes to").string()
        guard table.contains(".") else { throw try node.required("table").error("'\(table)' must be schema-qualified (schema.table)") }
        let source: ImportCheck.Source
        switch (node["csv"], node["csv_from"]) {
        case (let csv?, nil):
            let file = try csv.string()
            source = .file(file.hasPrefix("/") ? file : ((folder + "/" + file) as NSString).standardizingPath)
        case (nil, let command?):
            try command.rejectUnknownKeys(["run", "args", "env", "workdir"])
            source = .command(try parseCommand(command, path: path))
        case (nil, nil): throw node.error("an import check needs csv: FILE or csv_from: {run: PROGRAM} (whose output is the CSV)")
        default: throw node.error("give csv or csv_from, not both")
        }
        var check = ImportCheck(
            table: table, columns: try node["columns"]?.stringList() ?? [], source: source, header: try node["header"]?.bool() ?? true,
            rows: nil, query: nil, database: try node["database"]?.string())
        if let expect = node["expect"] {
            try expect.rejectUnknownKeys(["rows", "query"])
            if let rows = expect["rows"] {
                if rows.isMapping {
                    try rows.rejectUnknownKeys(["min", "max", "eq"])
                    check.rows = (try rows["min"]?.int(), try rows["max"]?.int(), try rows["eq"]?.int())
                } else {
                    check.rows = (nil, nil, try rows.int())
                }
            }
            check.query = try expect["query"]?.string()
        }
        return check
    }

    static func parseHTTP(_ node: YAMLValue) throws(ConfigError) -> HTTPCheck {
        let path = (node.file as NSString).deletingLastPathComponent
        var headers: [(name: String, value: VariableTemplate)] = []
        if let list = node["headers"] {
            for (name, value) in try list.entries() { headers.append((name, try template(value))) }
        }
        var body: VariableTemplate?
        switch (node["body"], node["body_file"]) {
        case (let inline?, nil): body = try template(inline)
        case (nil, let file?):
            let name = try file.string()
            let full = absolute(name, folder: path)
            guard let text = try? String(contentsOfFile: full, encoding: .utf8) else { throw file.error("cannot read the body file \(full)") }
            do { body = try VariableTemplate(text) } catch { throw file.error("\(full): \(error.message)") }
        case (nil, nil): body = nil
        default: throw node.error("give body or body_file, not both")
        }
        var basicAuth: (user: VariableTemplate, password: VariableTemplate)?
        if let basic = node["basic_auth"] {
            try basic.rejectUnknownKeys(["user", "password"])
            basicAuth = (try template(try basic.required("user")), try template(try basic.required("password")))
            if basicAuth!.password.names.isEmpty { throw basic.error("the password must come from a drill variable: password: ${name}") }
        }
        let urlNode = try node.required("url", hint: "e.g. url: ${service.app.url}/health")
        let url = try template(urlNode)
        let expectNode = try node.required("expect", hint: "e.g. expect: {status: 200, json: {path: token}}")
        try expectNode.rejectUnknownKeys(["status", "body_matches", "json", "latency"])
        var statuses = [200]
        if let status = expectNode["status"] {
            if status.isSequence {
                statuses = []
                for item in try status.sequence() { statuses.append(try item.int()) }
            } else {
                statuses = [try status.int()]
            }
        }
        var json: HTTPCheck.JSONExpectation?
        if let jsonNode = expectNode["json"] {
            try jsonNode.rejectUnknownKeys(["path", "equals", "matches"])
            json = HTTPCheck.JSONExpectation(
                path: try jsonNode.required("path", hint: "a dotted path such as session.token or items[0].id").string(),
                equals: try jsonNode["equals"]?.string(), matches: try jsonNode["matches"]?.string())
        }
        for pattern in [try expectNode["body_matches"]?.string(), json?.matches].compactMap({ $0 }) {
            guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw expectNode.error("'\(pattern)' is not a valid regular expression") }
        }
        let caBundle = try node["ca_bundle"]?.string()
        return HTTPCheck(
            method: (try node["method"]?.string() ?? "GET").uppercased(), url: url, headers: headers, body: body, basicAuth: basicAuth,
            caBundle: caBundle.map { absolute($0, folder: path) },
            followRedirects: try node["follow_redirects"]?.bool() ?? false,
            expectation: HTTPCheck.Expectation(
                statuses: statuses, bodyMatches: try expectNode["body_matches"]?.string(), json: json,
                latency: try expectNode["latency"]?.duration()))
    }
}

/// `name` if absolute, else resolved against `folder` (a check file's folder).
func absolute(_ name: String, folder: String) -> String {
    name.hasPrefix("/") ? name : ((folder + "/" + name) as NSString).standardizingPath
}
