extension Sequence {
    /// The elements in UTF-8 byte order of `key`, each key's bytes made once (not per
    /// comparison); a listing already in that order (a store's, a folder walk's) is only checked.
    func sortedByKeyBytes(_ key: (Element) -> String) -> [Element] {
        let elements = Array(self)
        let ordered = zip(elements, elements.dropFirst()).allSatisfy { !keyBytesPrecede(key($1), key($0)) }
        if ordered { return elements }
        return elements.map { (Array(key($0).utf8), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }
}

/// Whether `left` sorts before `right` in UTF-8 byte order (memcmp over their bytes).
func keyBytesPrecede(_ left: String, _ right: String) -> Bool {
    var left = left
    var right = right
    return left.withUTF8 { a in right.withUTF8 { b in PackedTexts.compare(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b)) < 0 } }
}
