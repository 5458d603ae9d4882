import Checks
import DrillSupport
import Foundation

/// Parses the drill file's `services:` list: application processes started after the restore.
enum ServiceParsing {
    static func parse(_ node: YAMLValue?, baseDirectory: String) throws(ConfigError) -> [ServiceDefinition] {
        guard let node else { return [] }
        var services: [ServiceDefinition] = []
        for item in try node.sequence() {
            try item.rejectUnknownKeys(["name", "run", "args", "env", "workdir", "ready", "start_timeout", "port"])
            let name = try item.required("name").string()
            guard name.range(of: #"^[A-Za-z0-9_-]+$"#, options: .regularExpression) != nil else {
                throw try item.required("name").error("'\(name)' is not a valid service name: use letters, digits, '_' and '-'")
            }
            if services.contains(where: { $0.name == name }) { throw try item.required("name").error("a second service named '\(name)'") }
            var program = try item.required("run", hint: "the program to start, e.g. run: ./app.py").string()
            if program.contains("/") && !program.hasPrefix("/") { program = ((baseDirectory + "/" + program) as NSString).standardizingPath }
            var environment: [(name: String, value: VariableTemplate)] = []
            if let env = item["env"] {
                for (key, value) in try env.entries() { environment.append((key, try template(value))) }
            }
            var workingDirectory = baseDirectory
            if let workdir = try item["workdir"]?.string() {
                workingDirectory = workdir.hasPrefix("/") ? workdir : ((baseDirectory + "/" + workdir) as NSString).standardizingPath
            }
            let readyNode = try item.required("ready", hint: "how to know it is up: ready: {url: /health} or ready: {command: [prog, args...]}")
            try readyNode.rejectUnknownKeys(["url", "command"])
            let readiness: ServiceDefinition.Readiness
            switch (readyNode["url"], readyNode["command"]) {
            case (let url?, nil): readiness = .url(try template(url))
            case (nil, let command?):
                let words = command.isSequence ? try command.stringList() : [try command.string()]
                guard let first = words.first else { throw command.error("give the readiness program and its arguments") }
                readiness = .command(program: first, arguments: Array(words.dropFirst()))
            default: throw readyNode.error("give url or command")
            }
            var port: Int?
            if let portNode = item["port"], try portNode.string() != "auto" {
                let value = try portNode.int()
                guard (1...65535).contains(value) else { throw portNode.error("a port is between 1 and 65535") }
                port = value
            }
            services.append(
                ServiceDefinition(
                    name: name, program: program, arguments: try item["args"]?.stringList() ?? [], environment: environment,
                    workingDirectory: workingDirectory, readiness: readiness,
                    startTimeout: try item["start_timeout"]?.duration() ?? .seconds(30), port: port))
        }
        return services
    }

    static func template(_ node: YAMLValue) throws(ConfigError) -> VariableTemplate {
        let text = try node.string()
        do {
            return try VariableTemplate(text)
        } catch {
            throw node.error(error.message)
        }
    }
}
