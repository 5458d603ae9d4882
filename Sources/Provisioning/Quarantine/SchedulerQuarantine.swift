import Foundation

/// Keeps a preloaded job scheduler from running the backup's jobs in the restored copy. A
/// restored `cron.job` table holds production's jobs; pg_cron runs them as soon as it is loaded
/// and the extension exists, which a restore makes true.
///
/// Three settings, because no one of them holds on every pg_cron release: `launch_active_jobs`
/// (pg_cron 1.5 and later) keeps jobs from starting; releases before it (Debian 12 ships 1.4)
/// ignore it, so jobs go through libpq (`use_background_workers = off`) to `cron.host`, a
/// socket folder that does not exist: a job that starts fails to connect and runs no SQL.
public enum SchedulerQuarantine {
    /// Settings the drill owns whenever it preloads a scheduler (a drill file may not set them).
    public static let ownedSettings: Set<String> = ["cron.launch_active_jobs", "cron.use_background_workers", "cron.host", "cron.database_name"]

    /// The socket folder, inside a drill's scratch folder `root`, that nothing creates.
    public static func deadSocketFolder(in root: String) -> String { root + "/no-scheduler-socket" }

    /// `postgres.preload` for a fresh server: `shared_preload_libraries` and the quarantine.
    static func preloadSettings(_ request: ProvisionRequest, scratch root: String) -> [String: String] {
        guard !request.preload.isEmpty else { return [:] }
        return settings(preloading: request.preload, deadSocketFolder: deadSocketFolder(in: root), database: request.restoreDatabase)
            .merging(["shared_preload_libraries": request.preload.joined(separator: ",")]) { $1 }
    }

    /// The settings for a server that preloads `libraries`. `deadSocketFolder` must be a path
    /// nothing creates; `database` is where pg_cron keeps its tables (the restore target of a
    /// logical restore; nil keeps the restored configuration's value).
    public static func settings(preloading libraries: [String], deadSocketFolder: String, database: String?) -> [String: String] {
        guard libraries.contains(where: { ($0 as NSString).lastPathComponent == "pg_cron" }) else { return [:] }
        var settings = [
            "cron.launch_active_jobs": "off",
            "cron.use_background_workers": "off",
            "cron.host": deadSocketFolder,
        ]
        if let database { settings["cron.database_name"] = database }
        return settings
    }
}
