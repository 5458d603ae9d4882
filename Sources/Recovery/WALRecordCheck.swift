import DrillSupport
import Foundation
import Provisioning
import Restore

/// Reads every WAL record replay will need with `pg_waldump`, which checks each record's CRC.
///
/// PostgreSQL takes a damaged record for the end of WAL: replay would stop there and, for a
/// `latest` target, promote a copy that silently lacks everything after it. Only reading
/// the records tells a damaged one from the real end (zeros after the last record).
public enum WALRecordCheck {
    /// What the check found.
    public enum Finding: Sendable, Equatable {
        /// Every record read cleanly up to the end of the written WAL at this LSN.
        case intact(end: String)
        /// A record is damaged.
        case damaged(segment: String, lsn: String, reason: String)
        /// Not checked, and why (compressed segments).
        case skipped(String)
    }

    /// Checks the segments of `preflight` in `archive`.
    /// `user`: the account pg_waldump reads the (untrusted) archive as; the server's, never root.
    public static func check(preflight: WALPreflight, archive: WALArchive, binaries: ServerBinaries, user: OSUser? = nil) async throws -> Finding {
        guard preflight.segmentCount > 0, preflight.missing.isEmpty else { return .skipped("no WAL to check") }
        let names = (preflight.first.number...preflight.last.number).map {
            WALSegmentName(timeline: preflight.first.timeline, number: $0, segmentSize: preflight.first.segmentSize)
        }
        if names.contains(where: { archive.segments[$0] != $0.description }) {
            return .skipped("the archive's segments are compressed: record checksums are verified during replay only")
        }
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: binaries.path("pg_waldump"),
                arguments: ["--quiet", "--path=\(archive.directory)", preflight.first.description, preflight.last.description],
                user: user, displayName: "pg_waldump"))
        return classify(result.standardError, exitCode: result.exitCode, segmentSize: preflight.first.segmentSize, timeline: preflight.first.timeline)
    }

    /// Reads pg_waldump's last error: "got 0" after the last record is the end of written WAL.
    static func classify(_ output: String, exitCode: Int32?, segmentSize: UInt64, timeline: UInt32) -> Finding {
        guard exitCode != 0, let line = output.split(separator: "\n").last(where: { $0.contains("error in WAL record at") }) else {
            return exitCode == 0 ? .intact(end: "end of the last segment") : .skipped("pg_waldump: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let text = String(line)
        let afterAt = text.components(separatedBy: "error in WAL record at ").last ?? ""
        let lsnText = String(afterAt.prefix { $0 != ":" })
        let reason = afterAt.drop { $0 != ":" }.dropFirst().trimmingCharacters(in: .whitespaces)
        if reason.hasSuffix("got 0") || reason.contains("invalid record length") && reason.hasSuffix(": 0") {
            return .intact(end: lsnText)
        }
        let segment = LSN(lsnText).map { WALSegmentName(timeline: timeline, containing: $0, segmentSize: segmentSize).description } ?? "?"
        return .damaged(segment: segment, lsn: lsnText, reason: reason)
    }
}
