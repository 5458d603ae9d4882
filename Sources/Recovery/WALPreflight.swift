import DrillSupport
import Foundation
import Restore

/// Before anything is restored: which WAL segments replay needs, and whether the archive has them.
public struct WALPreflight: Sendable {
    /// First segment replay reads from the archive.
    public var first: WALSegmentName
    /// Last segment replay will need (for time, xid, name and latest targets: the archive's last).
    public var last: WALSegmentName
    /// Needed but absent, in order.
    public var missing: [WALSegmentName]
    /// Segments in the range.
    public var segmentCount: Int
    /// Bytes of the archive files in the range (what will be fetched).
    public var bytesToFetch: Int64

    /// Works out the range for `backup` and `target` in `archive`.
    public static func check(backup: BaseBackup, target: RecoveryTarget, archive: WALArchive) -> WALPreflight {
        let segmentSize = WALSegmentName.defaultSegmentSize
        var first = WALSegmentName(timeline: backup.label.timeline, containing: backup.label.startLSN, segmentSize: segmentSize)
        let consistent = WALSegmentName(timeline: backup.label.timeline, containing: backup.stopLSN ?? backup.label.startLSN, segmentSize: segmentSize)
        if backup.includesWAL { first = consistent.next }
        let last: WALSegmentName
        switch target.kind {
        case .lsn(let lsn): last = WALSegmentName(timeline: backup.label.timeline, containing: lsn, segmentSize: segmentSize)
        case .immediate: last = consistent
        case .time, .xid, .name, .latest:
            last = archive.lastSegment(fromTimeline: backup.label.timeline).map {
                WALSegmentName(timeline: backup.label.timeline, number: $0.number, segmentSize: segmentSize)
            } ?? consistent
        }
        let needed = last.number >= first.number ? Int(last.number - first.number + 1) : 0
        let missing = archive.missing(from: first, through: max(last, first))
        let bytes = needed == 0 ? 0 : (first.number...last.number).reduce(Int64(0)) { total, number in
            let name = WALSegmentName(timeline: first.timeline, number: number, segmentSize: segmentSize)
            guard let file = archive.segments[name] else { return total }
            return total + (((try? FileManager.default.attributesOfItem(atPath: archive.directory + "/" + file)[.size]) as? NSNumber)?.int64Value ?? 0)
        }
        return WALPreflight(first: first, last: last, missing: needed == 0 ? [] : missing, segmentCount: needed, bytesToFetch: bytes)
    }
}
