extension Sequence {
    /// The elements in UTF-8 byte order of `key`, each key's bytes made once (not per
    /// comparison); a listing already in that order (a store's, a folder walk's) is only checked.
    func sortedByKeyBytes(_ key: (Element) -> String) -> [Element] {
        let elements = Array(self)
        var ordered = true
        for index in elements.indices.dropFirst() where !key(elements[index - 1]).utf8.lexicographicallyPrecedes(key(elements[index]).utf8) {
            if key(elements[index - 1]) != key(elements[index]) {
                ordered = false
                break
            }
        }
        if ordered { return elements }
        return elements.map { (Array(key($0).utf8), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }
}
