extension Sequence {
    /// The elements in UTF-8 byte order of `key`, each key's bytes made once (not per
    /// comparison); a listing already in that order (a store's, a folder walk's) is only checked.
    func sortedByKeyBytes(_ key: (Element) -> String) -> [Element] {
        let elements = Array(self)
        let ordered = zip(elements, elements.dropFirst()).allSatisfy { !key($1).utf8.lexicographicallyPrecedes(key($0).utf8) }
        if ordered { return elements }
        return elements.map { (Array(key($0).utf8), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }
}
