import Foundation

/// A mistake in a file the user wrote (drill file, check file, metadata), with where it is.
///
/// Printed as `file:line:column: message` so editors and CI log viewers link straight to it.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The file the mistake is in.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// What is wrong and what was expected.
    public var message: String

    /// Creates an error pointing at `file:line:column`.
    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): \(message)"
    }
}
