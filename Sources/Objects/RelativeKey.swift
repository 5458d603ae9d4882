/// Object keys written below a local folder: only a plain relative path may be, since keys
/// come from the store and a backup is untrusted input.
public enum RelativeKey {
    /// False for an absolute key, an empty one, one with `.` or `..` components, or a NUL.
    public static func isSafe(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        return !(key.hasPrefix("/") || key.isEmpty || parts.contains("..") || parts.contains(".") || key.contains("\0"))
    }
}
