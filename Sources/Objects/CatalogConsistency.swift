import Foundation

/// The restored database's idea of which objects exist (a catalog such as Supabase's
/// `storage.objects`) against the store as of the recovery point: every row must resolve to
/// an object with the recorded size and ETag; objects no row names are orphans.
public struct CatalogConsistency: Sendable {
    /// A row that does not resolve, or an orphan.
    public struct Finding: Sendable, Equatable {
        public enum Kind: String, Sendable { case noObject = "catalog row without object", sizeMismatch = "size differs", etagMismatch = "etag differs", orphan }
        public var kind: Kind
        public var key: String
        public var detail: String
    }

    public var rows: Int
    public var resolved: Int
    public var findings: [Finding]

    /// Findings of one kind.
    public func findings(_ kind: Finding.Kind) -> [Finding] { findings.filter { $0.kind == kind } }

    /// Checks `rows` (column name → value) against `objects`. `keyTemplate` builds a store key
    /// from a row: `{column}` placeholders, then `variables` for names that are not columns.
    public static func check(
        rows: [[String: String?]], keyTemplate: String, variables: [String: String], objects: ObjectListing
    ) throws -> CatalogConsistency {
        // The listing is sorted by key: found by binary search, marked by position.
        var referenced = [Bool](repeating: false, count: objects.count)
        var findings: [Finding] = []
        var resolved = 0
        for row in rows {
            let key = try render(keyTemplate, row: row, variables: variables)
            guard let position = objects.position(ofKey: key) else {
                findings.append(Finding(kind: .noObject, key: key, detail: "the catalog names it, the store has no such object at the point"))
                continue
            }
            referenced[position] = true
            let object = objects[position]
            if let sizeText = row["size"] ?? nil, let size = Int64(sizeText), size != object.size {
                findings.append(Finding(kind: .sizeMismatch, key: key, detail: "the catalog says \(size) bytes, the object has \(object.size)"))
                continue
            }
            if let etagText = row["etag"] ?? nil, let etag = object.etag {
                let recorded = etagText.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if !recorded.isEmpty && recorded != etag {
                    findings.append(Finding(kind: .etagMismatch, key: key, detail: "the catalog says ETag \(recorded), the object has \(etag)"))
                    continue
                }
            }
            resolved += 1
        }
        for position in objects.indices where !referenced[position] {
            findings.append(Finding(kind: .orphan, key: objects.key(at: position), detail: "\(objects.size(at: position)) bytes, no catalog row names it"))
        }
        return CatalogConsistency(rows: rows.count, resolved: resolved, findings: findings)
    }

    /// `{bucket_id}/{name}` with the row's values (a missing column or NULL is an error naming it).
    static func render(_ template: String, row: [String: String?], variables: [String: String]) throws -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            output += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw ObjectStoreError(message: "the catalog key template '\(template)' has a '{' without '}'", unreadable: false)
            }
            let name = String(rest[rest.index(after: open)..<close])
            if let value = row[name] {
                guard let value else { throw ObjectStoreError(message: "a catalog row has NULL in '\(name)', which the key template '\(template)' needs", unreadable: false) }
                output += value
            } else if let value = variables[name] {
                output += value
            } else {
                throw ObjectStoreError(
                    message: "the catalog key template '\(template)' uses '\(name)', which is neither a column of the catalog query nor a drill variable",
                    unreadable: false)
            }
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }
}
