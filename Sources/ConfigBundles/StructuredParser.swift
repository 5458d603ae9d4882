import Foundation
import Yams

/// JSON and YAML bundles: nested mappings flattened to dotted names (`db.password`), list items
/// by index (`hosts.0`), scalars as their text.
enum StructuredParser {
    static func json(_ text: String) throws(ConfigParseError) -> ConfigValues {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            // Foundation's message names a character offset, not the text around it.
            throw ConfigParseError("not valid JSON (\((error as NSError).userInfo["NSDebugDescription"] as? String ?? "unreadable"))")
        }
        guard object is [String: Any] else { throw ConfigParseError("the JSON document is not an object of named values") }
        var entries: [(name: String, value: String)] = []
        flatten(object, prefix: "", into: &entries)
        return ConfigValues(entries: entries)
    }

    static func yaml(_ text: String) throws(ConfigParseError) -> ConfigValues {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigParseError("not valid YAML (\(position(error)))")
        } catch {
            throw ConfigParseError("not valid YAML")
        }
        guard let node, node.mapping != nil else { throw ConfigParseError("the YAML document is not a mapping of named values") }
        var entries: [(name: String, value: String)] = []
        flatten(node, prefix: "", into: &entries)
        return ConfigValues(entries: entries)
    }

    /// Where a YAML error is, without the snippet of text Yams quotes (it may hold a value).
    static func position(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return "line \(mark.line), column \(mark.column)"
        default:
            return "unreadable"
        }
    }

    static func flatten(_ value: Any, prefix: String, into entries: inout [(name: String, value: String)]) {
        let join = { (key: String) in prefix.isEmpty ? key : prefix + "." + key }
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() { flatten(object[key]!, prefix: join(key), into: &entries) }
        } else if let list = value as? [Any] {
            for (index, item) in list.enumerated() { flatten(item, prefix: join(String(index)), into: &entries) }
        } else if value is NSNull {
            entries.append((prefix, ""))
        } else if let number = value as? NSNumber {
            entries.append((prefix, number.stringValue))
        } else {
            entries.append((prefix, "\(value)"))
        }
    }

    static func flatten(_ node: Node, prefix: String, into entries: inout [(name: String, value: String)]) {
        let join = { (key: String) in prefix.isEmpty ? key : prefix + "." + key }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping { flatten(value, prefix: join(key.string ?? ""), into: &entries) }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() { flatten(item, prefix: join(String(index)), into: &entries) }
        case .scalar(let scalar):
            entries.append((prefix, scalar.string == "~" || scalar.string == "null" ? "" : scalar.string))
        case .alias:
            entries.append((prefix, ""))
        }
    }
}
