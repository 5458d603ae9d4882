import DrillSupport
import Foundation
import Provisioning
import Restore

/// The span of time a backup and its WAL can be recovered to: from the end of the backup to
/// the last commit in the archive, read with `pg_waldump` (plain segments only).
public enum WALCoverage {
    /// The last commit time in `archive`'s segments `first…last` (read from the end backwards,
    /// segment by segment, until one holds a commit), or nil when none does.
    public static func lastCommit(
        first: WALSegmentName, last: WALSegmentName, archive: WALArchive, binaries: ServerBinaries, user: OSUser?
    ) async throws -> Date? {
        guard last.number >= first.number else { return nil }
        for number in stride(from: last.number, through: first.number, by: -1) {
            let name = WALSegmentName(timeline: first.timeline, number: number, segmentSize: first.segmentSize)
            guard archive.segments[name] == name.description else {
                throw RestoreError(
                    .error, step: "random target",
                    "recovery.target random_within_window reads commit times from the archive with pg_waldump, which needs plain segments; \(name) is stored as \(archive.segments[name] ?? "nothing")")
            }
            let result = try await ProcessRunner.run(
                ToolInvocation(
                    executable: binaries.path("pg_waldump"), arguments: ["--path=\(archive.directory)", "--rmgr=Transaction", name.description],
                    user: user, displayName: "pg_waldump", captureLimit: 8 << 20))
            if let time = latestCommit(in: result.standardOutput) { return time }
        }
        return nil
    }

    /// The newest `desc: COMMIT <time>` of pg_waldump output.
    static func latestCommit(in output: String) -> Date? {
        var latest: Date?
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: "desc: COMMIT ") else { continue }
            let text = line[range.upperBound...].prefix { $0 != ";" }
            if let date = TimestampText.parse(String(text)), date > (latest ?? .distantPast) { latest = date }
        }
        return latest
    }

    /// A time drawn with `seed` between `start` and `end` (to the millisecond).
    public static func draw(from start: Date, to end: Date, seed: UInt64) -> Date {
        var generator = SplitMix64(seed: seed)
        let span = max(0, end.timeIntervalSince(start))
        let millis = UInt64((span * 1000).rounded(.down))
        return start.addingTimeInterval(millis == 0 ? 0 : Double(generator.next() % (millis + 1)) / 1000)
    }
}
