import Foundation

/// A configuration bundle read as named values. Values are held only to be checked and
/// fingerprinted: nothing here prints one, and every message names keys and line numbers only.
public struct ConfigValues: Sendable {
    /// Names (`DATABASE_URL`, `db.password`, `Secret/app-db/password`) to values, in file order.
    public var entries: [(name: String, value: String)]
    /// Kubernetes objects found (kind/name), for reference checks.
    public var objects: [KubernetesObject] = []

    public init(entries: [(name: String, value: String)], objects: [KubernetesObject] = []) {
        self.entries = entries
        self.objects = objects
    }

    public var names: [String] { entries.map(\.name) }

    public func value(_ name: String) -> String? { entries.first { $0.name == name }?.value }
}

/// A bundle's format, as `config.bundles[].format` names it.
public enum ConfigFormat: String, Sendable, CaseIterable {
    case dotenv, json, yaml, kubernetes
}

/// Why a bundle could not be read: where, never what.
public struct ConfigParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum ConfigParsing {
    /// Reads `text` as `format`.
    public static func parse(_ text: String, format: ConfigFormat) throws(ConfigParseError) -> ConfigValues {
        switch format {
        case .dotenv: return try DotenvParser.parse(text)
        case .json: return try StructuredParser.json(text)
        case .yaml: return try StructuredParser.yaml(text)
        case .kubernetes: return try KubernetesManifests.parse(text)
        }
    }
}
