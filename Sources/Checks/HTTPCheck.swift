import Foundation

/// A request to the application (once it points at the restored database) and what the
/// response must be: the runbook's "validate authentication, dashboards and admin console".
public struct HTTPCheck: Sendable {
    /// What must be true of the response; every given expectation must hold.
    public struct Expectation: Sendable {
        /// Allowed status codes.
        public var statuses: [Int]
        /// A regular expression the body must match somewhere.
        public var bodyMatches: String?
        /// A value inside a JSON body (`session.token`, `items[0].id`) and what it must be.
        public var json: JSONExpectation?
        /// The whole exchange must finish within this.
        public var latency: Duration?
    }

    /// A JSON path and the condition on the value found there.
    public struct JSONExpectation: Sendable {
        public var path: String
        /// Rendered as text (strings unquoted) and compared; nil: the value only has to exist and not be null.
        public var equals: String?
        /// A regular expression the value's text must match.
        public var matches: String?
    }

    public var method: String
    public var url: VariableTemplate
    public var headers: [(name: String, value: VariableTemplate)]
    /// Body text (inline, or read from `body_file` when the check was loaded).
    public var body: VariableTemplate?
    /// `Authorization: Basic` from a user and a password (both templates, so secrets by reference).
    public var basicAuth: (user: VariableTemplate, password: VariableTemplate)?
    public var caBundle: String?
    public var followRedirects: Bool
    public var expectation: Expectation

    /// Every variable the request refers to.
    public var variableNames: [String] {
        var names = url.names + headers.flatMap(\.value.names) + (body?.names ?? [])
        if let basicAuth { names += basicAuth.user.names + basicAuth.password.names }
        return names
    }
}

/// A decoded JSON document, navigable by a dotted path with indexes: `session.token`, `items[0].id`.
indirect enum JSONValue: Decodable, Equatable {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(String), bool(Bool), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .number(String(value)) }
        else if let value = try? container.decode(Double.self) { self = .number(String(value)) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Parses a body; nil when it is not JSON.
    static func parse(_ data: Data) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: data) }

    /// The value at `path`, or nil when some step does not exist.
    func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for step in Self.steps(path) {
            switch (step, current) {
            case (.key(let key), .object(let members)?): current = members[key]
            case (.index(let index), .array(let items)?) where items.indices.contains(index): current = items[index]
            default: return nil
            }
        }
        return current
    }

    /// The text a value is compared as: strings without quotes, numbers and booleans as written.
    var text: String {
        switch self {
        case .string(let value): return value
        case .number(let value): return value
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.keys.sorted().map { "\($0):\(members[$0]!.text)" }.joined(separator: ",") + "}"
        }
    }

    enum Step: Equatable { case key(String), index(Int) }

    static func steps(_ path: String) -> [Step] {
        var result: [Step] = []
        let trimmed = path.hasPrefix("$.") ? String(path.dropFirst(2)) : path
        for part in trimmed.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                if bracket > rest.startIndex { result.append(.key(String(rest[..<bracket]))) }
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    if let index = Int(rest[rest.index(after: rest.startIndex)..<close]) { result.append(.index(index)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                result.append(.key(String(rest)))
            }
        }
        return result
    }
}
