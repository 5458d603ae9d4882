import Foundation
import Yams

/// A node of a YAML file that remembers where it stands, so every validation error names
/// the file, line and column, and the dotted path of the key (`postgres.settings.port`).
public struct YAMLValue {
    let node: Node
    /// The file the node came from, as given by the user.
    public let file: String
    /// The dotted key path of this node, for messages.
    public let path: String

    /// Parses `text` (read from `file`) into its root node.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> YAMLValue {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: 1, column: 1, message: "the file is empty; expected a YAML mapping")
            }
            return YAMLValue(node: root, file: file, path: "")
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw Self.configError(from: error, file: file)
        } catch {
            throw ConfigError(file: file, message: "cannot be read as YAML: \(error)")
        }
    }

    /// Reads and parses the YAML file at `path`.
    public static func load(path: String) throws(ConfigError) -> YAMLValue {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, message: "cannot be read: \(Self.describe(error))")
        }
        return try parse(text, file: path)
    }

    /// 1-based line of the node.
    public var line: Int? { node.mark?.line }
    /// 1-based column of the node.
    public var column: Int? { node.mark?.column }

    /// An error located at this node.
    public func error(_ message: String) -> ConfigError {
        let subject = path.isEmpty ? "" : "\(path): "
        return ConfigError(file: file, line: line, column: column, message: subject + message)
    }

    /// True for `~`, `null` and empty values.
    public var isNull: Bool {
        if case .scalar(let scalar) = node { return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) }
        return false
    }

    /// True when the node is a mapping.
    public var isMapping: Bool { node.mapping != nil }

    /// A mapping's keys in the order written; nil for any other node.
    public var mappingKeys: [String]? { node.mapping.map { $0.map { $0.key.string ?? "" } } }

    /// True when the node is a sequence.
    public var isSequence: Bool { node.sequence != nil }

    /// The node as a string scalar.
    public func string() throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value, found \(kindName)") }
        return scalar.string
    }

    /// The node as a whole number.
    public func int() throws(ConfigError) -> Int {
        guard let value = Int(try string()) else { throw error("expected a whole number, found '\(try string())'") }
        return value
    }

    /// The node as a boolean (`true`/`false`, `yes`/`no`, `on`/`off`).
    public func bool() throws(ConfigError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("expected true or false, found '\(other)'")
        }
    }

    /// The node as a duration such as `30s`, `15m`, `4h`, `1h30m`.
    public func duration() throws(ConfigError) -> Duration {
        let text = try string()
        guard let value = DrillDuration.parse(text) else {
            throw error("expected a duration such as 30s, 15m, 4h or 1h30m, found '\(text)'")
        }
        return value
    }

    /// The node as a list of strings; a single string is accepted as a list of one.
    public func stringList() throws(ConfigError) -> [String] {
        if case .scalar = node { return [try string()] }
        var result: [String] = []
        for item in try sequence() { result.append(try item.string()) }
        return result
    }

    /// The items of a sequence node.
    public func sequence() throws(ConfigError) -> [YAMLValue] {
        guard let items = node.sequence else { throw error("expected a list, found \(kindName)") }
        return items.enumerated().map { index, item in
            YAMLValue(node: item, file: file, path: "\(path)[\(index)]")
        }
    }

    /// The entries of a mapping node in file order.
    public func entries() throws(ConfigError) -> [(key: String, value: YAMLValue)] {
        guard let mapping = node.mapping else { throw error("expected a mapping (key: value), found \(kindName)") }
        return mapping.map { pair in
            let key = pair.key.string ?? "\(pair.key)"
            return (key, YAMLValue(node: pair.value, file: file, path: path.isEmpty ? key : "\(path).\(key)"))
        }
    }

    /// The value under `key`, or nil when the key is absent or null.
    public subscript(key: String) -> YAMLValue? {
        guard let mapping = node.mapping, let value = mapping[key] else { return nil }
        let child = YAMLValue(node: value, file: file, path: path.isEmpty ? key : "\(path).\(key)")
        return child.isNull ? nil : child
    }

    /// The value under `key`, or an error saying it is required.
    public func required(_ key: String, hint: String = "") throws(ConfigError) -> YAMLValue {
        guard isMapping else { throw error("expected a mapping (key: value), found \(kindName)") }
        guard let value = self[key] else {
            throw error("the key '\(key)' is required" + (hint.isEmpty ? "" : "; \(hint)"))
        }
        return value
    }

    /// Rejects keys that are not in `allowed`, suggesting the closest allowed key, so typos do not pass silently.
    public func rejectUnknownKeys(_ allowed: Set<String>, context: String? = nil) throws(ConfigError) {
        guard let mapping = node.mapping else { throw error("expected a mapping (key: value), found \(kindName)") }
        for (keyNode, _) in mapping {
            let key = keyNode.string ?? ""
            guard !allowed.contains(key) else { continue }
            let keyValue = YAMLValue(node: keyNode, file: file, path: path.isEmpty ? key : "\(path).\(key)")
            let suggestion = allowed.min { Self.editDistance($0, key) < Self.editDistance($1, key) }
            var message = "\(context.map { "\($0) has no key '\(key)'" } ?? "unknown key"); expected one of: \(allowed.sorted().joined(separator: ", "))"
            if let suggestion, Self.editDistance(suggestion, key) <= 2 { message += " (did you mean '\(suggestion)'?)" }
            throw keyValue.error(message)
        }
    }

    private var kindName: String {
        switch node {
        case .scalar(let scalar): return "the text '\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private static func configError(from error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return ConfigError(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                file: file, line: context.mark.line, column: context.mark.column,
                message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return ConfigError(file: file, message: "invalid YAML: \(error)")
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// A short description of a Foundation file error without the type dump.
    public static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError: return "permission denied"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
