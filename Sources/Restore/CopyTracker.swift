/// Follows a plain dump's `COPY ... FROM stdin;` blocks line by line, so that data lines are
/// never read as SQL. A COPY statement may span lines (a quoted table or column name with a
/// newline in it): it starts COPY data only once it ends with `FROM stdin;`.
public struct CopyTracker: Sendable {
    /// Inside COPY data, where every line up to `\.` is data.
    public private(set) var inCopy = false
    /// Inside a COPY statement that has not ended yet: every line needs a look.
    public private(set) var inCopyStatement = false

    /// A tracker outside COPY data.
    public init() {}

    /// Reads one line (without its newline); true when it is COPY data or the `\.` that ends it.
    public mutating func isData(_ line: Substring) -> Bool {
        if inCopy {
            if line == "\\." || line == "\\.\r" { inCopy = false }
            return true
        }
        let statement = line.hasSuffix("\r") ? line.dropLast() : line
        if inCopyStatement {
            if statement.hasSuffix(";") {
                inCopyStatement = false
                inCopy = statement.hasSuffix("FROM stdin;")
            }
            return false
        }
        if line.hasPrefix("COPY ") {
            if statement.hasSuffix("FROM stdin;") {
                inCopy = true
            } else if !statement.hasSuffix(";") {
                inCopyStatement = true
            }
        }
        return false
    }
}
