extension Sequence {
    /// The elements in UTF-8 byte order of `key`, each key's bytes made once (not per comparison).
    func sortedByKeyBytes(_ key: (Element) -> String) -> [Element] {
        map { (Array(key($0).utf8), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }
}
