import Foundation

/// Why a server could not be provisioned; always a harness problem (exit 3), never a verdict on the backup.
public struct ProvisionError: Error, Sendable, CustomStringConvertible {
    /// Stable cases.
    public enum Code: String, Sendable {
        /// No binaries of the needed major version.
        case binariesNotFound
        /// The unprivileged OS account does not exist.
        case userNotFound
        /// The temp dir could not be made or prepared.
        case workDirectory
        /// initdb failed.
        case initdbFailed
        /// The server did not start.
        case startFailed
        /// The server started but refused our connection.
        case connectFailed
        /// A setting in the drill file is not allowed.
        case forbiddenSetting
    }

    /// The case.
    public var code: Code
    /// The message shown to the user (what failed, where, what to do).
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
