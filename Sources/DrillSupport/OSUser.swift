import Foundation

/// An operating-system account that server binaries run as (PostgreSQL refuses to run as root).
public struct OSUser: Sendable, Equatable, CustomStringConvertible {
    /// Login name.
    public var name: String
    /// Numeric user id.
    public var uid: uid_t
    /// Primary group id.
    public var gid: gid_t

    /// The account the process runs as.
    public static var current: OSUser {
        let uid = geteuid()
        return lookup(uid: uid) ?? OSUser(name: "uid \(uid)", uid: uid, gid: getegid())
    }

    /// True when this process runs as root.
    public static var isRoot: Bool { geteuid() == 0 }

    /// Looks the account up by name; nil when it does not exist.
    public static func lookup(name: String) -> OSUser? {
        guard let entry = getpwnam(name) else { return nil }
        return OSUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// The account with `uid`, or nil.
    public static func lookup(uid: uid_t) -> OSUser? {
        guard let entry = getpwuid(uid) else { return nil }
        return OSUser(name: String(cString: entry.pointee.pw_name), uid: uid, gid: entry.pointee.pw_gid)
    }

    /// The account's home folder from the password database.
    public static func home(of user: OSUser) -> String? {
        guard let entry = getpwuid(user.uid), let directory = entry.pointee.pw_dir else { return nil }
        return String(cString: directory)
    }

    public var description: String { name }
}
