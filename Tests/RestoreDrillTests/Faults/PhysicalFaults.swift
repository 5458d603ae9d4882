import DrillSupport
import DrillTestSupport
import Foundation

/// Faults of base backups and WAL archives.
enum PhysicalFaults {
    typealias Fault = FaultCorpusTests.Fault
    typealias Expected = FaultCorpusTests.Expected

    static let all: [Fault] = [
        Fault(
            description: "flipped byte in a base backup file", feature: "basebackup",
            expected: Expected(exit: 1, suite: "restore", caseName: "pg_verifybackup", status: "failed", phrase: "checksum mismatch"),
            prepare: {
                let fixture = try await PlainFixture.shared.get()
                var scene = try FaultScene.physical("fault-baseflip", fixture: fixture) { drill in
                    let copy = drill.workspace.file("backups")
                    try FileManager.default.copyItem(atPath: fixture.catalog, toPath: copy)
                    let base = copy + "/base1/base"
                    let files = (FileManager.default.subpaths(atPath: base) ?? []).map { base + "/" + $0 }.filter {
                        (try? FileManager.default.attributesOfItem(atPath: $0)[.type] as? FileAttributeType) == .typeRegular
                    }
                    let victim = files.max { DiskUsage.bytes(at: $0) < DiskUsage.bytes(at: $1) }!
                    try FileEdits.flipByte(victim, at: 0.5)
                    drill.catalog = copy
                }
                scene.sources = scene.sources.filter { !$0.isEmpty }
                return scene
            }),
        Fault(
            description: "missing WAL segment", feature: "basebackup",
            expected: Expected(exit: 1, suite: "verify", caseName: "WAL archive holds every segment", status: "failed", phrase: "is missing from"),
            prepare: {
                let fixture = try await SharedPITRFixture.shared.get()
                let victim = fixture.archivedSegments.dropLast().last!
                return try FaultScene.physical("fault-walgap", fixture: fixture) { drill in
                    try drill.breakArchive(of: fixture) { try FileManager.default.removeItem(atPath: $0 + "/" + victim) }
                }
            }),
        Fault(
            description: "WAL segment with a flipped byte", feature: "basebackup",
            expected: Expected(exit: 1, suite: "verify", caseName: "WAL records replay needs are intact", status: "failed", phrase: "is damaged at LSN"),
            prepare: {
                let fixture = try await SharedPITRFixture.shared.get()
                let victim = fixture.archivedSegments.last!
                return try FaultScene.physical("fault-walflip", fixture: fixture) { drill in
                    try drill.breakArchive(of: fixture) { archive in
                        var data = try Data(contentsOf: URL(fileURLWithPath: archive + "/" + victim))
                        data[(data.lastIndex { $0 != 0 } ?? 2048) / 2] ^= 0xFF
                        try data.write(to: URL(fileURLWithPath: archive + "/" + victim))
                    }
                }
            }),
        Fault(
            description: "target after the end of the archive", feature: "basebackup",
            expected: Expected(exit: 1, suite: "recover", caseName: "recovery reached", status: "failed", phrase: "was not reached"),
            prepare: {
                let fixture = try await SharedPITRFixture.shared.get()
                return try FaultScene.physical("fault-future", fixture: fixture) { drill in
                    drill.target = "{time: '\(TimestampText.postgres(Date().addingTimeInterval(3600)))'}"
                }
            }),
        Fault(
            description: "SIGTERM mid-recovery", feature: "teardown",
            expected: Expected(exit: 130, suite: "recover", caseName: "recover interrupted", status: "error", phrase: "interrupted"),
            prepare: {
                let fixture = try await SharedPITRFixture.shared.get()
                let victim = fixture.archivedSegments.last!
                var scene = try FaultScene.physical("fault-sigterm", fixture: fixture) { drill in
                    // A segment that cannot be decompressed: restore_command retries it for a few seconds.
                    try drill.breakArchive(of: fixture) { archive in
                        try FileManager.default.removeItem(atPath: archive + "/" + victim)
                        try Data(repeating: 0x1F, count: 4096).write(to: URL(fileURLWithPath: archive + "/" + victim + ".gz"))
                        chmod(archive + "/" + victim + ".gz", 0o644)
                    }
                }
                scene.interrupt = ("recover: started", SIGTERM)
                return scene
            }),
    ]
}

/// A plain-format physical fixture shared by the corpus.
actor PlainFixture {
    static let shared = PlainFixture()
    private var fixture: Task<PhysicalFixture, any Error>?

    func get() async throws -> PhysicalFixture {
        if fixture == nil { fixture = Task { try await PhysicalFixture.make(label: "plain", batches: 1, format: .plain) } }
        return try await fixture!.value
    }
}
