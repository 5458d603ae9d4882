import DrillSupport
import Foundation

/// Text with `${name}` references to drill variables, e.g. `${service.app.url}/login`. A
/// filter after `|` encodes the value for where it goes: `${password|json}` (inside a JSON
/// string), `${email|url}` (a URL query or path part). `$${` writes a literal `${`.
public struct VariableTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case text(String)
        case variable(name: String, filter: Filter)
    }

    /// How a value is encoded where it is inserted.
    public enum Filter: String, Sendable, Equatable {
        case raw, json, url
    }

    let pieces: [Piece]

    /// Parses `source`; throws a message for an unclosed reference or an unknown filter.
    public init(_ source: String) throws(TemplateError) {
        var pieces: [Piece] = []
        var text = ""
        var rest = Substring(source)
        while let dollar = rest.firstIndex(of: "$") {
            text += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                text += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                text += "$"
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                throw TemplateError(message: "'${' without a closing '}' in \(source)")
            }
            let inside = after[after.index(after: after.startIndex)..<close]
            let parts = inside.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { throw TemplateError(message: "an empty '${}' in \(source)") }
            let filterName = parts.count > 1 ? parts[1] : "raw"
            guard let filter = Filter(rawValue: filterName) else {
                throw TemplateError(message: "unknown filter '|\(filterName)' in \(source); use |json or |url")
            }
            if !text.isEmpty { pieces.append(.text(text)) }
            text = ""
            pieces.append(.variable(name: name, filter: filter))
            rest = after[after.index(after: close)...]
        }
        text += rest
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    /// Variable names the template refers to.
    public var names: [String] {
        pieces.compactMap { if case .variable(let name, _) = $0 { return name } else { return nil } }
    }

    /// The text with every reference replaced; throws naming the first variable that is not defined.
    public func render(_ variables: [String: String]) throws(TemplateError) -> String {
        var output = ""
        for piece in pieces {
            switch piece {
            case .text(let text): output += text
            case .variable(let name, let filter):
                guard let value = variables[name] else { throw TemplateError(message: "the variable '\(name)' is not defined") }
                let encoded = Self.encode(value, filter)
                // An encoded secret ("a\"b" in JSON, "a%2Bb" in a URL) must be masked as well.
                if encoded != value, SecretMasker.shared.isSecret(value) { SecretMasker.shared.register(encoded) }
                output += encoded
            }
        }
        return output
    }

    static func encode(_ value: String, _ filter: Filter) -> String {
        switch filter {
        case .raw: return value
        case .url:
            var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
            allowed.insert(charactersIn: "-._~")
            return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
        case .json:
            let encoded = (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
            return String(encoded.dropFirst().dropLast())
        }
    }
}

/// A template that cannot be parsed or rendered.
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
