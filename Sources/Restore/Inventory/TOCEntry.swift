import Foundation

/// One entry of a pg_dump table of contents: what `pg_restore --list` prints, and what a plain
/// dump's `-- Name: ...; Type: ...` comments say.
public struct TOCEntry: Sendable, Equatable {
    /// pg_dump's description (`TABLE`, `TABLE DATA`, `FK CONSTRAINT`...).
    public var description: String
    /// The schema, or `-`.
    public var schema: String
    /// The tag (`orders`, `orders orders_pkey`, `f(integer, text)`).
    public var tag: String

    /// Creates an entry.
    public init(description: String, schema: String, tag: String) {
        self.description = description
        self.schema = schema
        self.tag = tag
    }

    // Longest first, so that `TABLE DATA` is not read as a `TABLE` in schema `DATA`.
    static let descriptions: [String] = [
        "ACCESS METHOD", "ACL", "AGGREGATE", "BLOB", "BLOB METADATA", "BLOBS", "CAST", "CHECK CONSTRAINT", "COLLATION", "COMMENT",
        "CONSTRAINT", "CONVERSION", "DATABASE", "DATABASE PROPERTIES", "DEFAULT", "DEFAULT ACL", "DOMAIN", "ENCODING", "EVENT TRIGGER",
        "EXTENSION", "FK CONSTRAINT", "FOREIGN DATA WRAPPER", "FOREIGN SERVER", "FOREIGN TABLE", "FUNCTION", "INDEX", "INDEX ATTACH",
        "LARGE OBJECT", "LARGE OBJECTS", "MATERIALIZED VIEW", "MATERIALIZED VIEW DATA", "OPERATOR", "OPERATOR CLASS", "OPERATOR FAMILY",
        "POLICY", "PROCEDURAL LANGUAGE", "PROCEDURE", "PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "ROW SECURITY",
        "RULE", "SCHEMA", "SEARCHPATH", "SECURITY LABEL", "SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET", "SERVER", "SHELL TYPE",
        "STATISTICS", "STATISTICS DATA", "STDSTRINGS", "SUBSCRIPTION", "SUBSCRIPTION TABLE", "TABLE", "TABLE ATTACH", "TABLE DATA",
        "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE", "TRANSFORM", "TRIGGER",
        "TYPE", "USER MAPPING", "VIEW",
    ].sorted { $0.count > $1.count }

    /// Reads one line of `pg_restore --list`: `ID; CATALOG OID DESCRIPTION SCHEMA TAG OWNER`.
    /// Comment lines (`;`) and blank lines are nil. The owner is the last word (none for some entries).
    public init?(listLine raw: Substring) {
        let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        guard !line.hasPrefix(";"), let semicolon = line.firstIndex(of: ";"), line[..<semicolon].allSatisfy(\.isNumber) else { return nil }
        var rest = line[line.index(after: semicolon)...].drop { $0 == " " }
        for _ in 0..<2 {  // catalog OID, object OID
            guard let space = rest.firstIndex(of: " "), rest[..<space].allSatisfy(\.isNumber) else { return nil }
            rest = rest[rest.index(after: space)...]
        }
        guard let description = Self.descriptions.first(where: { rest.hasPrefix($0 + " ") }) else { return nil }
        rest = rest.dropFirst(description.count + 1)
        guard let space = rest.firstIndex(of: " ") else { return nil }
        let schema = String(rest[..<space])
        let tagAndOwner = rest[rest.index(after: space)...]
        let tag = tagAndOwner.lastIndex(of: " ").map { tagAndOwner[..<$0] } ?? tagAndOwner
        self.init(description: description, schema: schema, tag: String(tag))
    }

    /// Reads a plain dump's entry comment: `-- Name: TAG; Type: DESC; Schema: S; Owner: O` (or
    /// `-- Data for Name: ...`).
    public init?(plainComment line: Substring) {
        let body: Substring
        if line.hasPrefix("-- Name: ") {
            body = line.dropFirst("-- Name: ".count)
        } else if line.hasPrefix("-- Data for Name: ") {
            body = line.dropFirst("-- Data for Name: ".count)
        } else {
            return nil
        }
        guard let type = body.range(of: "; Type: ", options: .backwards) else { return nil }
        let afterType = body[type.upperBound...]
        guard let schemaMark = afterType.range(of: "; Schema: ") else { return nil }
        let afterSchema = afterType[schemaMark.upperBound...]
        let schema = afterSchema.range(of: "; Owner: ").map { afterSchema[..<$0.lowerBound] } ?? afterSchema
        self.init(
            description: String(afterType[..<schemaMark.lowerBound]), schema: String(schema).trimmingCharacters(in: CharacterSet(charactersIn: "\r")),
            tag: String(body[..<type.lowerBound]))
    }
}
