import Foundation

/// Server settings that keep a restored copy from acting on the outside world: no WAL archiving
/// into production's archive, no upstream or subscription connections, no listener beyond the
/// private socket. Given on the postmaster command line before the first start; a drill file
/// may not override them. (`max_wal_senders` is not among them: a recovering hot standby needs
/// at least the primary's value. Replication connections are refused by the drill's own
/// `hba_file`, which has no `replication` line.)
public enum QuarantineSettings {
    /// The settings and their quarantined values.
    public static let values: [(name: String, value: String)] = [
        ("archive_mode", "off"),
        ("archive_command", "/bin/false"),
        ("archive_cleanup_command", ""),
        ("primary_conninfo", ""),
        ("primary_slot_name", ""),
        ("max_logical_replication_workers", "0"),
    ]

    /// Settings the provisioner owns (socket, port, listener) besides the quarantine ones.
    public static let ownedByProvisioner: Set<String> = Set([
        "listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions", "data_directory",
        "hba_file", "ident_file", "restore_command", "archive_library", "shared_preload_libraries", "hot_standby",
    ]).union(SchedulerQuarantine.ownedSettings)

    /// Names a drill file may not set, with the reason.
    public static func rejectionReason(for name: String) -> String? {
        let key = name.lowercased()
        if values.contains(where: { $0.name == key }) {
            return "\(name) is fixed by the quarantine (the restored copy must not archive, replicate or connect out)"
        }
        if key.hasPrefix("recovery_target") || key == "recovery_min_apply_delay" {
            return "\(name) is set from the drill file's recovery section (or --target-time and friends)"
        }
        if key == "shared_preload_libraries" {
            return "\(name) is set by the drill: list libraries in postgres.preload (logical restores, e.g. preload: [pg_cron]); a physical restore keeps production's and allows schedulers with recovery.allow_preload"
        }
        if SchedulerQuarantine.ownedSettings.contains(key) {
            return "\(name) is set by the drill's quarantine, which keeps a preloaded pg_cron from running the backup's jobs"
        }
        if ["listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions"].contains(key) {
            return "\(name) is set by the provisioner (private socket, random port); use postgres.listen_on_loopback for TCP"
        }
        if ownedByProvisioner.contains(key) {
            return "\(name) is set by the provisioner (its own data directory, client authentication and recovery)"
        }
        return nil
    }
}
