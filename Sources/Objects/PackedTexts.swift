import Foundation

/// Rows of a few short texts each (a key, a version id, an ETag), all in one byte buffer: a
/// million keys cost their bytes and 8 + 2 × (width − 1) bytes a row, not a heap string
/// (and its header) per text. The first text of a row is its key, which never is nil.
struct PackedTexts: Sendable {
    /// Texts per row.
    let width: Int
    private var bytes: [UInt8] = []
    /// Where each row's last text ends in `bytes` (a row starts where the one before ends).
    private var rowEnds: [Int] = []
    /// The lengths of every text of a row but its last, `width - 1` per row.
    private var lengths: [UInt16] = []
    /// Bit `i` set: text `i` of the row is not nil.
    private var present: [UInt8] = []

    /// Rows of `width` (1…8) texts.
    init(width: Int) {
        precondition((1...8).contains(width))
        self.width = width
    }

    var count: Int { rowEnds.count }

    /// Makes room for `rows` more rows of `bytes` more bytes of text, so a column of a million
    /// rows is not copied as it doubles (each copy briefly holds the old and the new).
    mutating func reserve(rows: Int, bytes more: Int) {
        bytes.reserveCapacity(bytes.count + more)
        rowEnds.reserveCapacity(rowEnds.count + rows)
        lengths.reserveCapacity(lengths.count + rows * (width - 1))
        present.reserveCapacity(present.count + rows)
    }

    /// Appends a row; a text other than the last longer than 65,535 bytes is refused (S3 keys
    /// are at most 1,024 bytes, paths 4,096).
    mutating func append(_ texts: [String?]) throws {
        precondition(texts.count == width && texts[0] != nil)
        var mask: UInt8 = 0
        for (column, text) in texts.enumerated() {
            let start = bytes.count
            if let text {
                mask |= 1 << column
                bytes.append(contentsOf: text.utf8)
            }
            if column < width - 1 {
                guard bytes.count - start <= Int(UInt16.max) else {
                    bytes.removeSubrange((rowEnds.last ?? 0)...)
                    lengths.removeLast(column)
                    throw ObjectStoreError(message: "a listed name is longer than 65,535 bytes: \(String(decoding: (text ?? "").utf8.prefix(80), as: UTF8.self))…", unreadable: false)
                }
                lengths.append(UInt16(bytes.count - start))
            }
        }
        rowEnds.append(bytes.count)
        present.append(mask)
    }

    /// Removes the last row.
    mutating func removeLast() {
        rowEnds.removeLast()
        present.removeLast()
        lengths.removeLast(width - 1)
        bytes.removeSubrange((rowEnds.last ?? 0)...)
    }

    /// Where text `column` of `row` lies in `bytes`, and whether it is there at all.
    private func range(_ row: Int, _ column: Int) -> (Range<Int>, Bool) {
        var start = row == 0 ? 0 : rowEnds[row - 1]
        let base = row * (width - 1)
        for earlier in 0..<column { start += Int(lengths[base + earlier]) }
        let end = column == width - 1 ? rowEnds[row] : start + Int(lengths[base + column])
        return (start..<end, present[row] & (1 << column) != 0)
    }

    /// Text `column` of `row`.
    func text(_ row: Int, _ column: Int = 0) -> String? {
        let (range, isThere) = range(row, column)
        guard isThere else { return nil }
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// Compares the key of `row` with `key` in UTF-8 byte order: negative, zero or positive.
    func compareKey(_ row: Int, _ key: UnsafeRawBufferPointer) -> Int {
        let (range, _) = range(row, 0)
        return bytes.withUnsafeBytes { Self.compare(UnsafeRawBufferPointer(rebasing: $0[range]), key) }
    }

    /// Compares the key of `row` with `key` (a String) in UTF-8 byte order.
    func compareKey(_ row: Int, _ key: String) -> Int {
        var key = key
        return key.withUTF8 { compareKey(row, UnsafeRawBufferPointer($0)) }
    }

    /// Compares the keys of `row` here and `other` in `others`.
    func compareKey(_ row: Int, with other: Int, in others: PackedTexts) -> Int {
        let (range, _) = range(row, 0)
        return bytes.withUnsafeBytes { mine in
            -others.compareKey(other, UnsafeRawBufferPointer(rebasing: mine[range]))
        }
    }

    /// Byte order of two texts (memcmp, then length).
    static func compare(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Int {
        let common = min(left.count, right.count)
        if common > 0, let a = left.baseAddress, let b = right.baseAddress {
            let order = memcmp(a, b, common)
            if order != 0 { return Int(order) }
        }
        return left.count - right.count
    }

    /// The row whose key is `key`, by binary search (the rows are in key order).
    func row(ofKey key: String) -> Int? {
        var key = key
        return key.withUTF8 { utf8 in
            let wanted = UnsafeRawBufferPointer(utf8)
            var low = 0
            var high = count
            while low < high {
                let middle = (low + high) / 2
                let order = compareKey(middle, wanted)
                if order == 0 { return middle }
                if order < 0 { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    /// True when the keys are in strictly ascending byte order (sorted, no key twice).
    var keysAscend: Bool {
        guard count > 1 else { return true }
        return (1..<count).allSatisfy { compareKey($0 - 1, with: $0, in: self) < 0 }
    }

    /// Row numbers in ascending key order; rows with equal keys keep their order.
    func keyOrder() -> [Int] {
        var order = Array(0..<count)
        order.sort { left, right in
            let byKey = compareKey(left, with: right, in: self)
            return byKey != 0 ? byKey < 0 : left < right
        }
        return order
    }

    /// The rows `rows`, in that order.
    func selecting(_ rows: [Int]) -> PackedTexts {
        var result = PackedTexts(width: width)
        result.rowEnds.reserveCapacity(rows.count)
        result.present.reserveCapacity(rows.count)
        result.lengths.reserveCapacity(rows.count * (width - 1))
        for row in rows {
            let start = row == 0 ? 0 : rowEnds[row - 1]
            result.bytes.append(contentsOf: bytes[start..<rowEnds[row]])
            result.rowEnds.append(result.bytes.count)
            result.present.append(present[row])
            let base = row * (width - 1)
            result.lengths.append(contentsOf: lengths[base..<base + width - 1])
        }
        return result
    }
}

extension Array {
    /// The elements at `rows`, in that order (a column of a table being filtered or sorted).
    func selecting(_ rows: [Int]) -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(rows.count)
        for row in rows { result.append(self[row]) }
        return result
    }
}
