import DrillSupport
import Foundation

/// The drill file's `notify:` section: heartbeat URLs (a dead man's switch such as a
/// healthchecks-style check-in URL) pinged when the drill passes and when it does not, so a
/// missing success is alerted on, not only a failure. The URLs are secrets, by reference.
public struct NotifySection: Sendable {
    /// Pinged when the drill passes.
    public var onSuccess: SecretReference?
    /// Pinged when it fails, errs or is interrupted.
    public var onFailure: SecretReference?
    /// How long one ping may take.
    public var timeout: Duration
}

enum NotifyParsing {
    static func parse(_ node: YAMLValue?) throws(ConfigError) -> NotifySection? {
        guard let node else { return nil }
        try node.rejectUnknownKeys(["on_success", "on_failure", "timeout"])
        func reference(_ key: String) throws(ConfigError) -> SecretReference? {
            guard let value = node[key] else { return nil }
            guard let parsed = SecretReference.parse(try value.string()) else {
                throw value.error("give the URL by reference (env:NAME, file:PATH or command:CMD): it is a secret, anyone holding it can check in")
            }
            return parsed
        }
        let section = NotifySection(onSuccess: try reference("on_success"), onFailure: try reference("on_failure"), timeout: try node["timeout"]?.duration() ?? .seconds(10))
        if section.onSuccess == nil && section.onFailure == nil { throw node.error("notify: needs on_success, on_failure or both") }
        return section
    }
}
