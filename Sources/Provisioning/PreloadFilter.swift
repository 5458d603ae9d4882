import DrillSupport
import Foundation

/// Decides `shared_preload_libraries` for a restored copy: schedulers stay out unless the drill
/// file allows them (pg_cron would start production's jobs the moment the copy is promoted),
/// and libraries not installed here are dropped (the server would refuse to start), each
/// with a note in the report.
enum PreloadFilter {
    /// Extensions that run jobs on their own.
    static let schedulers: Set<String> = ["pg_cron", "pg_timetable", "pgagent", "pg_partman_bgw"]

    /// The value to use, or nil to keep the configured one (nothing preloaded).
    static func filter(server: PgCtlServer, allowed: Set<String>, owner: OSUser?) async throws -> (String?, [String]) {
        let result = try await ProcessRunner.run(
            server.serverInvocation(
                ToolInvocation(
                    executable: server.binaries.path("postgres"),
                    arguments: ["-D", server.dataDirectory, "-C", "shared_preload_libraries"], displayName: "postgres -C")))
        guard result.succeeded else {
            throw ProvisionError(
                .startFailed,
                "the restored configuration cannot be read by PostgreSQL \(server.binaries.version): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let configured = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let libraries = configured.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            .filter { !$0.isEmpty }
        guard !libraries.isEmpty else { return (nil, []) }
        var kept: [String] = []
        var notes: [String] = []
        for library in libraries {
            let name = (library as NSString).lastPathComponent
            if schedulers.contains(name) && !allowed.contains(name) {
                notes.append("\(name) removed from shared_preload_libraries: it would run production's scheduled jobs (allow it with recovery.allow_preload)")
            } else if !server.binaries.hasLibrary(name) && !library.hasPrefix("/") {
                notes.append("\(name) is preloaded on production but not installed for PostgreSQL \(server.binaries.majorVersion) here; dropped, so objects that need it will fail their checks")
            } else {
                kept.append(library)
            }
        }
        return (kept.joined(separator: ","), notes)
    }
}
