import DrillSupport
import Foundation
import Restore

/// Checks that the account running the server can read the WAL it will need: restore_command
/// runs as that account, and a permission error must not surface halfway through replay.
public enum WALArchiveAccess {
    /// Files of the range the account cannot read (empty when all can be read).
    public static func unreadable(preflight: WALPreflight, archive: WALArchive, user: OSUser?) async throws -> [String] {
        guard preflight.segmentCount > 0 else { return [] }
        let files = (preflight.first.number...preflight.last.number).compactMap { number in
            archive.segments[WALSegmentName(timeline: preflight.first.timeline, number: number, segmentSize: preflight.first.segmentSize)]
        }.map { archive.directory + "/" + $0 }
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: "/bin/sh", arguments: ["-c", "for f; do test -r \"$f\" || echo \"$f\"; done", "sh"] + files, user: user,
                displayName: "archive access check"))
        return result.standardOutput.split(separator: "\n").map(String.init)
    }
}
