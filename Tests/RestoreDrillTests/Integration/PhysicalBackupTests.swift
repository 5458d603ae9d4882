import DrillSupport
import DrillTestSupport
import Foundation
import Testing

@Suite("Physical backups: selection, broken archives and backups, quarantine", .serialized)
struct PhysicalBackupTests {
    static func iso(_ date: Date) -> String { PointInTimeTests.iso(date) }

    @Test func theNewestBackupThatFinishedBeforeTheTargetIsChosen() async throws {
        let fixture = try await PhysicalFixture.make(label: "select", batches: 5, extraBackupsAfter: [3])
        defer { fixture.remove() }
        // Marks with a later commit in the archive (a time after the last commit is not reachable).
        for (mark, backup, exit) in [(1, "base1", Int32(0)), (3, "base2", 0)] {
            var drill = try PhysicalDrill("select", fixture: fixture)
            defer { drill.remove() }
            drill.target = "{time: '\(Self.iso(fixture.marks[mark].time))'}"
            drill.expectedRows = fixture.marks[mark].rows
            let run = try await drill.run()
            #expect(run.exitCode == exit, "\(run.allOutput)")
            #expect((try drill.report()["recovery"] as? [String: Any])?["base_backup"] as? String == backup)
        }
        var early = try PhysicalDrill("select-early", fixture: fixture)
        defer { early.remove() }
        early.target = "{time: '\(Self.iso(Date(timeIntervalSinceNow: -86400)))'}"
        let run = try await early.run()
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("is before the oldest base backup (base1"), "\(run.standardError)")
    }

    @Test func aMissingSegmentMetDuringReplayIsNamed() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("gap-time", fixture: fixture)
        defer { drill.remove() }
        let removed = try #require(fixture.archivedSegments.dropLast().last)
        try drill.breakArchive(of: fixture) { try FileManager.default.removeItem(atPath: $0 + "/" + removed) }
        drill.target = "{time: '\(Self.iso(fixture.marks.last!.time))'}"

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let recover = try drill.cases(ofSuite: "recover").first
        #expect(recover?["status"] as? String == "failed")
        let message = recover?["message"] as? String ?? ""
        #expect(message.contains("WAL segment \(removed) is missing from the archive"), "\(message)")
        #expect(drill.workspace.leftoversInTmp().isEmpty)
        #expect(drill.workspace.leftoverServerProcesses().isEmpty)
    }

    @Test func aRestoredCopyNeverArchivesSubscribesOrRunsProductionsJobs() async throws {
        let publisher = try ConnectionCounter()
        defer { publisher.stop() }
        let cleanup = "/usr/lib/postgresql/\(try await TestServer.newestMajor())/bin/pg_archivecleanup"
        let fixture = try await PhysicalFixture.make(
            label: "quarantine", batches: 2, primarySettings: ["shared_preload_libraries": "pg_cron", "cron.database_name": "postgres"]
        ) { session, archive in
            _ = try await session.execute("CREATE EXTENSION pg_cron")
            _ = try await session.execute("SELECT cron.schedule('purge-events', '* * * * *', 'DELETE FROM drill_events')")
            _ = try await session.execute("CREATE TABLE replicated (id int PRIMARY KEY)")
            // Production's subscription: enabled, pointing at a publisher the copy must never call.
            _ = try await session.execute(
                "CREATE SUBSCRIPTION production_feed CONNECTION 'host=127.0.0.1 port=\(publisher.port) dbname=postgres connect_timeout=2' PUBLICATION feed WITH (connect = false)")
            _ = try await session.execute("ALTER SUBSCRIPTION production_feed ENABLE")
            // Production's configuration lives in its files, and so travels with the backup: archiving
            // into the real archive, and (as on a standby) cleaning it up. Either would change it.
            _ = try await session.execute("ALTER SYSTEM SET archive_mode = 'on'")
            _ = try await session.execute("ALTER SYSTEM SET archive_command = 'cp %p \(archive)/%f'")
            _ = try await session.execute("ALTER SYSTEM SET archive_cleanup_command = '\(cleanup) \(archive) %r'")
            _ = try await session.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_cron'")
            _ = try await session.execute("ALTER SYSTEM SET cron.database_name = 'postgres'")
            _ = try await session.execute("ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=\(publisher.port) connect_timeout=2'")
        }
        defer { fixture.remove() }
        let archiveBefore = try await ContentDigest.of(path: fixture.archive)
        let attemptsBefore = publisher.count
        var drill = try PhysicalDrill("quarantine", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows
        drill.extraChecks = [
            try drill.workspace.write(
                "checks/quarantine.yaml",
                """
                checks:
                  - id: cron-jobs-restored
                    query: SELECT count(*)::text FROM cron.job
                    expect: {value: '1'}
                  - id: cron-not-loaded
                    query: SELECT current_setting('shared_preload_libraries') NOT LIKE '%pg_cron%'
                    expect: true
                  - id: subscription-disabled
                    query: SELECT bool_and(NOT subenabled AND subslotname IS NULL) FROM pg_subscription
                    expect: true
                """)
        ]

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let quarantine = try drill.cases(ofSuite: "quarantine")
        #expect(quarantine.allSatisfy { $0["status"] as? String == "passed" })
        #expect(quarantine.first?["output"] as? String == "postgres.production_feed")
        let restoreNotes = try drill.cases(ofSuite: "restore").first?["output"] as? String ?? ""
        #expect(restoreNotes.contains("pg_cron removed from shared_preload_libraries"))
        try await Task.sleep(for: .seconds(1))
        #expect(publisher.count == attemptsBefore, "the restored copy connected to the publisher")
        #expect(try await ContentDigest.of(path: fixture.archive) == archiveBefore, "the old archive must not change")
    }

    /// Allowed to load (recovery.allow_preload), pg_cron still runs none of production's jobs,
    /// even when production runs them in background workers and this pg_cron predates
    /// `cron.launch_active_jobs` (Debian 12 ships 1.4).
    @Test func anAllowedPgCronRunsNoneOfProductionsJobs() async throws {
        let fixture = try await PhysicalFixture.make(
            label: "cron-allowed", batches: 1,
            primarySettings: ["shared_preload_libraries": "pg_cron", "cron.database_name": "postgres", "cron.use_background_workers": "on"]
        ) { session, _ in
            _ = try await session.execute("CREATE EXTENSION pg_cron")
            _ = try await session.execute("CREATE TABLE public.job_runs (at timestamptz NOT NULL DEFAULT now())")
            _ = try await session.execute("SELECT cron.unschedule(jobid) FROM cron.job")
            _ = try await session.execute("SELECT cron.schedule('every-minute', '* * * * *', 'INSERT INTO public.job_runs DEFAULT VALUES')")
            _ = try await session.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_cron'")
            _ = try await session.execute("ALTER SYSTEM SET cron.database_name = 'postgres'")
            _ = try await session.execute("ALTER SYSTEM SET cron.use_background_workers = 'on'")
        }
        defer { fixture.remove() }
        // Production's own job may run while the fixture is made (a minute boundary): those rows
        // are in the WAL and replay. Only rows written after the archive was closed are the copy's.
        let archiveClosed = TimestampText.iso(Date())
        var drill = try PhysicalDrill("cron-allowed", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows
        drill.extraRecovery = ["allow_preload: [pg_cron]"]
        // A command check outlives the next minute, then counts what the job would have written.
        let waiter = try drill.workspace.write(
            "checks/wait-a-minute.sh",
            """
            #!/bin/sh
            second=$(date +%S | sed 's/^0//')
            sleep $((60 - second + 8))
            runs=$(psql -X -A -t -c "SELECT count(*) FROM public.job_runs WHERE at > '\(archiveClosed)'") || exit 2
            preloaded=$(psql -X -A -t -c "SELECT current_setting('shared_preload_libraries') LIKE '%pg_cron%'") || exit 2
            echo "runs=$runs preloaded=$preloaded"
            [ "$preloaded" = t ] || { echo "pg_cron is not loaded: this proves nothing"; exit 2; }
            [ "$runs" = 0 ] || { echo "production's job ran $runs time(s) in the copy"; exit 1; }
            """)
        chmod(waiter, 0o755)
        drill.extraChecks = [
            try drill.workspace.write(
                "checks/cron.yaml",
                """
                checks:
                  - id: cron-job-kept-from-running
                    kind: command
                    run: \(waiter)
                    timeout: 2m
                """)
        ]

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let output = try drill.cases(ofSuite: "checks.checks").first?["output"] as? String ?? ""
        #expect(output.contains("preloaded=t"), "pg_cron was loaded: \(output)")
        #expect(output.contains("runs=0"), "production's job ran in the copy: \(output)")
    }

    @Test func aSegmentThatCannotBeReadAbortsRecoveryInsteadOfEndingIt() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("unreadable", fixture: fixture)
        defer { drill.remove() }
        // Present and readable, but not decompressible: a read error, not the end of the archive.
        let victim = try #require(fixture.archivedSegments.dropLast().last)
        try drill.breakArchive(of: fixture) { archive in
            try FileManager.default.removeItem(atPath: archive + "/" + victim)
            try Data(repeating: 0x1F, count: 4096).write(to: URL(fileURLWithPath: archive + "/" + victim + ".gz"))
            chmod(archive + "/" + victim + ".gz", 0o644)
        }

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let recover = try drill.cases(ofSuite: "recover").first
        #expect(recover?["status"] as? String == "failed")
        let message = recover?["message"] as? String ?? ""
        #expect(message.contains("could not be read from the archive (it exists, so this is not the end of the archive)"), "\(message)")
        #expect(message.contains(victim))
        #expect(drill.workspace.leftoverServerProcesses().isEmpty)
    }

    @Test func anArchiveTheServerAccountCannotReadIsAnErrorBeforeReplay() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("noaccess", fixture: fixture)
        defer { drill.remove() }
        let victim = try #require(fixture.archivedSegments.last)
        try drill.breakArchive(of: fixture) { chmod($0 + "/" + victim, 0) }

        let run = try await drill.run()

        #expect(run.exitCode == 3, "\(run.allOutput)")
        let error = try drill.cases(ofSuite: "verify").first { $0["status"] as? String == "error" }
        let message = error?["message"] as? String ?? ""
        #expect(message.contains("OS user postgres, which runs the server and its restore_command, cannot read \(drill.archive)/\(victim)"), "\(message)")
        let phases = (try drill.report()["phases"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(phases == ["plan", "verify"])
    }

    @Test(arguments: ["gzip", "zstd", "lz4"])
    func compressedArchiveSegmentsAreRead(tool: String) async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("compressed-\(tool)", fixture: fixture)
        defer { drill.remove() }
        try drill.breakArchive(of: fixture) { _ in }
        for segment in fixture.archivedSegments {
            let result = try await ProcessRunner.run(
                ToolInvocation(executable: tool, arguments: ["gzip": ["-q"], "zstd": ["-q", "--rm"], "lz4": ["-q", "-m", "--rm"]][tool]! + [drill.archive + "/" + segment]))
            #expect(result.succeeded, "\(result.standardError)")
        }
        drill.expectedRows = fixture.marks.last!.rows

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
    }

    @Test func tablespacesAreRemappedIntoTheTempDirAndTheOriginalIsUntouched() async throws {
        let tablespace = "/tmp/rdtest-tablespace-\(getpid())"
        try FileManager.default.createDirectory(atPath: tablespace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tablespace) }
        if let postgres = OSUser.lookup(name: "postgres"), OSUser.isRoot { chown(tablespace, postgres.uid, postgres.gid) }
        let fixture = try await PhysicalFixture.make(label: "tablespace", batches: 2) { session, _ in
            _ = try await session.execute("CREATE TABLESPACE archive_space LOCATION '\(tablespace)'")
            _ = try await session.execute("CREATE TABLE cold_rows TABLESPACE archive_space AS SELECT generate_series(1, 500) AS n")
        }
        defer { fixture.remove() }
        let before = try await ContentDigest.of(path: tablespace)
        var drill = try PhysicalDrill("tablespace", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows
        drill.extraChecks = [
            try drill.workspace.write(
                "checks/cold.yaml",
                """
                checks:
                  - id: cold-rows
                    query: SELECT count(*)::text FROM cold_rows
                    expect: {value: '500'}
                  - id: tablespace-in-temp-dir
                    query: SELECT pg_tablespace_location(oid) LIKE '%/restore-drill-%/tablespaces/%' FROM pg_tablespace WHERE spcname = 'archive_space'
                    expect: true
                """)
        ]

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let notes = try drill.cases(ofSuite: "restore").first?["output"] as? String ?? ""
        #expect(notes.contains("remapped to"), "\(notes)")
        #expect(try await ContentDigest.of(path: tablespace) == before, "production's tablespace folder must not change")
    }

    /// A plain-format backup's tablespace links name folders of the machine it was taken on; the
    /// drill copies them in. Pointed at a folder of the drill host that only root may read, the
    /// link must not bring that folder into the restored copy: the copy runs as the server's account.
    @Test func aTablespaceLinkToAHostFolderTheServerAccountCannotReadIsNotCopied() async throws {
        guard OSUser.isRoot else { return }
        let fixture = try await PhysicalFixture.make(label: "tblspc-link", batches: 1, format: .plain)
        defer { fixture.remove() }
        let privateFolder = "/tmp/rdtest-root-only-\(getpid())"
        try FileManager.default.createDirectory(atPath: privateFolder + "/PG_15_1", withIntermediateDirectories: true)
        try "root's secret".write(toFile: privateFolder + "/PG_15_1/id_ed25519", atomically: true, encoding: .utf8)
        chmod(privateFolder, 0o700)
        defer { try? FileManager.default.removeItem(atPath: privateFolder) }
        let links = fixture.catalog + "/base1/pg_tblspc"
        try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: links + "/424242", withDestinationPath: privateFolder)
        var drill = try PhysicalDrill("tblspc-link", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows

        let run = try await drill.run()

        #expect(run.exitCode == 3, "\(run.allOutput)")
        let restore = try drill.cases(ofSuite: "restore").first { $0["status"] as? String == "error" }
        let message = restore?["message"] as? String ?? ""
        #expect(message.contains("links to \(privateFolder), which the server's OS account cannot read"), "\(message)")
        #expect(!run.allOutput.contains("root's secret"))
    }

    @Test(arguments: ["gzip", "lz4", "zstd"])
    func compressedTarBaseBackupsRestore(compression: String) async throws {
        let fixture = try await PhysicalFixture.make(label: "tar-\(compression)", batches: 2, compression: compression)
        defer { fixture.remove() }
        var drill = try PhysicalDrill("tar-\(compression)", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let verified = try drill.cases(ofSuite: "restore").first { $0["name"] as? String == "pg_verifybackup" }
        #expect(verified?["status"] as? String == "passed")
    }

    @Test func aRecordedBaseBackupIsVerifiedBeforeAnythingIsExtracted() async throws {
        let fixture = try await PhysicalFixture.make(label: "recorded", batches: 1)
        defer { fixture.remove() }
        var drill = try PhysicalDrill("recorded", fixture: fixture)
        defer { drill.remove() }
        drill.expectedRows = fixture.marks.last!.rows
        let base = fixture.catalog + "/base1"
        let record = try await DrillCLI.run(["record", base], workspace: drill.workspace)
        #expect(record.exitCode == 0, "\(record.allOutput)")
        #expect(record.standardOutput.contains("base backup"))

        let good = try await drill.run()
        #expect(good.exitCode == 0, "\(good.allOutput)")
        #expect(try drill.cases(ofSuite: "verify").first { $0["name"] as? String == "sha256 matches the recorded checksum" }?["status"] as? String == "passed")

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: base + "/base.tar"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let bad = try await drill.run()
        #expect(bad.exitCode == 1, "\(bad.allOutput)")
        let phases = (try drill.report()["phases"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(phases == ["plan", "verify"], "nothing is extracted from a backup that changed since it was recorded")
    }

    /// PostgreSQL takes a record with a bad CRC for the end of WAL: replay "finishes" early and,
    /// for latest, promotes. The drill must see that the archive goes on past where replay stopped.
    /// (The latest-target case is in the fault corpus.)
    @Test func aFlippedByteInAWALSegmentIsAFailureForATimeTargetToo() async throws {
        let target = "time"
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("walflip-time", fixture: fixture)
        defer { drill.remove() }
        // The newest segment holding records (the batches): the last one archived may hold only
        // a switch record when the primary switched again before the fixture's final switch.
        let victim = try #require(
            fixture.archivedSegments.reversed().first { name in
                (try? Data(contentsOf: URL(fileURLWithPath: fixture.archive + "/" + name))).flatMap(Self.offsetOfFirstBatchRecord) != nil
            })
        try drill.breakArchive(of: fixture) { archive in
            var data = try Data(contentsOf: URL(fileURLWithPath: archive + "/" + victim))
            let offset = try #require(Self.offsetOfFirstBatchRecord(in: data))
            data[offset] ^= 0xFF
            try data.write(to: URL(fileURLWithPath: archive + "/" + victim))
        }
        if target == "time" { drill.target = "{time: '\(Self.iso(fixture.marks[4].time))'}" }

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let failure = try drill.cases(ofSuite: "verify").first { $0["status"] as? String == "failed" }
        let message = failure?["message"] as? String ?? ""
        #expect(message.contains("WAL segment \(victim) in \(drill.archive) is damaged at LSN"), "\(message)")
        let phases = (try drill.report()["phases"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(phases == ["plan", "verify"])
    }

    /// With a compressed archive pg_waldump cannot read ahead; replay itself must not end
    /// silently at a damaged record when later segments exist.
    @Test func replayThatStopsShortOfTheArchivesEndIsAFailure() async throws {
        let fixture = try await PhysicalFixture.make(label: "walflip-mid", batches: 3, afterBaseBackup: { session in
            // About 30 MB of WAL between the base backup and the batches, so they land in a later segment.
            _ = try await session.execute("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 120000) g")
        })
        defer { fixture.remove() }
        var drill = try PhysicalDrill("walflip-mid", fixture: fixture)
        defer { drill.remove() }
        let segments = fixture.archivedSegments
        #expect(segments.count >= 4, "\(segments)")
        let victim = segments[segments.count - 2]
        try drill.breakArchive(of: fixture) { archive in
            var data = try Data(contentsOf: URL(fileURLWithPath: archive + "/" + victim))
            data[data.count / 2] ^= 0xFF
            try data.write(to: URL(fileURLWithPath: archive + "/" + victim))
        }
        for segment in segments {
            let gzip = try await ProcessRunner.run(ToolInvocation(executable: "gzip", arguments: ["-q", drill.archive + "/" + segment]))
            #expect(gzip.succeeded)
        }

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let recover = try drill.cases(ofSuite: "recover").first
        #expect(recover?["status"] as? String == "failed")
        let message = recover?["message"] as? String ?? ""
        #expect(message.contains("but the archive continues to"), "\(message)")
        let skipped = try drill.cases(ofSuite: "verify").first { $0["name"] as? String == "WAL records replay needs are intact (pg_waldump)" }
        #expect(skipped?["status"] as? String == "skipped")
    }

    /// The middle of the segment's written part (the rest of a switched segment is zeros).
    static func offsetOfFirstBatchRecord(in data: Data) -> Int? {
        guard let last = data.lastIndex(where: { $0 != 0 }), last > 1024 else { return nil }
        return last / 2
    }
}
