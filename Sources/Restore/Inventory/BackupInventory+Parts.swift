extension BackupInventory {
    /// This inventory and `other`'s together: the schema and data parts of one backup.
    public func adding(_ other: BackupInventory) -> BackupInventory {
        var merged = self
        for (kind, names) in other.objects { merged.objects[kind, default: []] += names }
        for table in other.tablesWithData where !merged.tablesWithData.contains(table) { merged.tablesWithData.append(table) }
        if let more = other.rows { merged.rows = (merged.rows ?? [:]).merging(more, uniquingKeysWith: +) }
        if let complete, let otherComplete = other.complete { merged.complete = complete && otherComplete }
        if other.spansDatabases == true { merged.spansDatabases = true }
        merged.source = source == other.source ? source : "\(source) + \(other.source)"
        return merged
    }
}
