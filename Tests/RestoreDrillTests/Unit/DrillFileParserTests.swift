import Drill
import DrillSupport
import Testing

@Suite("Drill file validation")
struct DrillFileParserTests {
    static let valid = """
        name: nightly
        targets: {rpo: 24h, rto: 30m}
        backup:
          format: pg_dump
          location: file:///backups/app.dump
        postgres:
          provisioner: pg_ctl
          version: auto
          settings:
            work_mem: 64MB
        variables:
          admin_email: admin@example.com
          admin_password: env:APP_ADMIN_PASSWORD
        checks: [app-example, ./more/extra.yaml]
        reports: {dir: out}
        """

    func parse(_ text: String) throws -> DrillFile {
        try DrillFileParser.parse(try YAMLValue.parse(text, file: "drill.yaml"), path: "drill.yaml")
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func readsAValidFile() throws {
        let file = try parse(Self.valid)
        #expect(file.name == "nightly")
        #expect(file.targets.rto == .seconds(1800))
        #expect(file.postgres.version == nil)
        #expect(file.postgres.settings == ["work_mem": "64MB"])
        #expect(file.checks.map(\.entry) == ["app-example", "./more/extra.yaml"])
        #expect(file.reportsDirectory == "out")
        guard case .secret(.environment("APP_ADMIN_PASSWORD")) = file.variables["admin_password"] else {
            Issue.record("admin_password should be an env reference")
            return
        }
    }

    @Test func rolesAndPartsAreReadAndPlacedWhereTheyBelong() throws {
        let roles = try parse(Self.valid.replacingOccurrences(of: "  location: file:///backups/app.dump", with: "  location: file:///backups/app.dump\n  roles: roles.sql"))
        #expect(roles.backup.roles == "roles.sql")
        let cli = try parse(
            Self.valid.replacingOccurrences(
                of: "  format: pg_dump\n  location: file:///backups/app.dump",
                with: "  format: supabase_cli\n  parts: {roles: r.sql, schema: s.sql, data: d.sql}"))
        #expect(cli.backup.parts?.schema == "s.sql" && cli.backup.parts?.data == "d.sql" && cli.backup.location == "s.sql")
        let misplaced: [(String, String)] = [
            ("  format: pg_dumpall\n  location: all.sql\n  roles: r.sql", "a pg_dumpall file holds its roles itself"),
            ("  format: supabase_cli\n  location: dump\n  roles: r.sql", "the Supabase CLI's roles file is parts.roles"),
            ("  format: pg_dump\n  location: a.dump\n  parts: {schema: s.sql}", "parts belong to format: supabase_cli"),
            ("  format: supabase_cli\n  parts: {roles: r.sql}", "the key 'schema' is required"),
            ("  format: pg_dumpal\n  location: a.sql", "expected one of pg_dump, pg_dumpall, supabase_cli, basebackup"),
        ]
        for (backup, message) in misplaced {
            let text = Self.valid.replacingOccurrences(of: "  format: pg_dump\n  location: file:///backups/app.dump", with: backup)
            #expect(error(text)?.message.contains(message) == true, "\(backup): \(String(describing: error(text)))")
        }
    }

    @Test func invalidYAMLNamesLineAndColumn() {
        let problem = error("name: x\ntargets:\n  rpo: 1h\n rto: 2h\n")
        #expect(problem?.line == 4)
        #expect(problem?.description.hasPrefix("drill.yaml:4:") == true)
    }

    @Test func aTypoIsCaughtWithASuggestion() {
        let problem = error(Self.valid.replacingOccurrences(of: "provisioner: pg_ctl", with: "provisoner: pg_ctl"))
        #expect(problem?.line == 7)
        #expect(problem?.column == 3)
        #expect(problem?.message.contains("did you mean 'provisioner'?") == true)
    }

    @Test func missingTargetsSayWhatIsExpected() {
        let problem = error("name: x\nbackup: {location: a.dump}\n")
        #expect(problem?.message.contains("'targets' is required") == true)
        #expect(problem?.message.contains("rpo: 24h") == true)
    }

    @Test func aBadDurationPointsAtTheValue() {
        let problem = error(Self.valid.replacingOccurrences(of: "rto: 30m", with: "rto: soon"))
        #expect(problem?.line == 2)
        #expect(problem?.message.contains("targets.rto: expected a duration") == true)
    }

    /// Each refused setting says what to do instead; shared_preload_libraries used to point at
    /// listen_on_loopback.
    @Test(arguments: [
        ("shared_preload_libraries", "list libraries in postgres.preload"),
        ("cron.use_background_workers", "keeps a preloaded pg_cron from running the backup's jobs"),
        ("cron.host", "keeps a preloaded pg_cron from running the backup's jobs"),
        ("port", "use postgres.listen_on_loopback for TCP"),
        ("hba_file", "its own data directory, client authentication and recovery"),
    ])
    func aRefusedSettingSaysWhatToDoInstead(setting: String, advice: String) {
        let problem = error(Self.valid.replacingOccurrences(of: "work_mem: 64MB", with: "\(setting): x"))
        #expect(problem?.message.contains(advice) == true, "\(problem?.message ?? "")")
        if setting != "port" { #expect(problem?.message.contains("listen_on_loopback") == false) }
    }

    @Test func preloadIsReadAndOnlyTakesLibraryNames() throws {
        let file = try parse(Self.valid.replacingOccurrences(of: "version: auto", with: "version: auto\n  preload: [pg_cron, pg_stat_statements]"))
        #expect(file.postgres.preload == ["pg_cron", "pg_stat_statements"])
        let problem = error(Self.valid.replacingOccurrences(of: "version: auto", with: "version: auto\n  preload: ['pg_cron,evil']"))
        #expect(problem?.message.contains("is not a library name") == true)
    }

    @Test func aSecretWrittenInlineIsRefused() {
        let problem = error(Self.valid.replacingOccurrences(of: "env:APP_ADMIN_PASSWORD", with: "hunter2"))
        #expect(problem?.line == 13)
        #expect(problem?.message.contains("give a reference instead") == true)
        #expect(problem?.description.contains("hunter2") == false)
    }

    @Test(arguments: ["archive_mode", "listen_addresses", "primary_conninfo", "port"])
    func quarantineSettingsCannotBeOverridden(setting: String) {
        let problem = error(Self.valid.replacingOccurrences(of: "work_mem: 64MB", with: "\(setting): 'x'"))
        #expect(problem?.line == 10)
        #expect(problem?.message.contains(setting) == true)
    }

    @Test(arguments: [
        ("  location: gs://bucket/app.dump", 5, "unsupported location scheme 'gs://'"),
        ("  location: s3:///app.dump", 5, "names no bucket"),
        ("  location: s3://bucket/app.dump\n  roles: s3://bucket/roles.sql", 6, "s3:// is for backup.location"),
        ("  location: s3://bucket/app.dump\n  endpoint: http://127.0.0.1:9000\n  access_key: AKIAEXAMPLE", 7, "give access_key by reference"),
        ("  location: s3://bucket/app.dump\n  encryption: {tool: age}", 6, "the age identity by reference"),
        ("  location: s3://bucket/app.dump\n  encryption: {tool: age, identity: AGE-SECRET-KEY-1XYZ}", 6, "give identity by reference"),
        ("  location: s3://bucket/app.dump\n  encryption: {tool: gpg}", 6, "gpg needs key:"),
        ("  location: s3://bucket/app/*.dump\n  select: {random_within: 30d, seed: 0}", 6, "above 0"),
        ("  location: s3://bucket/app/*.dump\n  select: {latest_within: 7d, seed: 3}", 6, "latest_within takes no seed"),
        ("  location: s3://bucket/app/*.dump\n  select: {newest: true}", 6, "unknown key"),
    ])
    func locationsAndTheirSettingsAreChecked(lines: String, line: Int, message: String) {
        let problem = error(Self.valid.replacingOccurrences(of: "  location: file:///backups/app.dump", with: lines))
        #expect(problem?.line == line, "\(String(describing: problem))")
        #expect(problem?.message.contains(message) == true, "\(String(describing: problem))")
    }

    @Test func s3LocationsAndSelectionParse() throws {
        let file = try parse(
            Self.valid.replacingOccurrences(
                of: "  location: file:///backups/app.dump",
                with: "  location: s3://backups/app/*.dump.age\n  endpoint: http://127.0.0.1:9000\n  secret_key: env:S3_SECRET\n  select: {random_within: 30d, seed: 7}\n  encryption: {tool: age, identity: file:/keys/age.txt}"))
        #expect(file.backup.location == "s3://backups/app/*.dump.age")
        #expect(file.backup.select == .randomWithin(.seconds(30 * 86_400), seed: 7))
        let physical = try parse(
            Self.valid.replacingOccurrences(
                of: "  format: pg_dump\n  location: file:///backups/app.dump",
                with: "  format: basebackup\n  location: s3://b/base/\n  wal_archive: s3://b/wal/\n  endpoint: http://127.0.0.1:9000"))
        #expect(physical.backup.location == "s3://b/base/" && physical.backup.walArchive == "s3://b/wal/")
        let encrypted = error(
            Self.valid.replacingOccurrences(
                of: "  format: pg_dump\n  location: file:///backups/app.dump",
                with: "  format: basebackup\n  location: s3://b/base/\n  wal_archive: s3://b/wal/\n  encryption: {tool: age, identity: file:/k}"))
        #expect(encrypted?.message.contains("an encrypted base backup is not a source yet") == true, "\(String(describing: encrypted))")
    }

    @Test func postureNamesTheBucketsTheDrillReadsAndItsRetentionCoversTheRPO() throws {
        let s3 = Self.valid.replacingOccurrences(
            of: "  location: file:///backups/app.dump", with: "  location: s3://backups/app/*.dump\n  endpoint: http://127.0.0.1:9000")
        let file = try parse(s3 + "\nposture:\n  retention: 35d\n  kms_key: key/k1\n")
        #expect(file.posture?.buckets.map(\.bucketURL) == ["s3://backups"] && file.posture?.buckets.first?.prefixes == ["app/"])
        #expect(file.posture?.encryption == "aws:kms")
        let short = error(s3 + "\nposture:\n  retention: 12h\n")
        #expect(short?.message.contains("retention: 12h00m is shorter than targets.rpo (1d00h)") == true, "\(String(describing: short))")
        let none = error(Self.valid + "\nposture:\n  retention: 35d\n")
        #expect(none?.message.contains("this drill file reads none") == true, "\(String(describing: none))")
        let role = error(Self.valid + "\nposture:\n  retention: 35d\n  buckets: [wal_archive]\n")
        #expect(role?.message.contains("wal_archive is not an s3:// location in this drill file") == true, "\(String(describing: role))")
    }

    @Test func aMalformedChecksumIsRejected() {
        let problem = error(Self.valid.replacingOccurrences(of: "  format: pg_dump\n", with: "  format: pg_dump\n  sha256: abc\n"))
        #expect(problem?.message.contains("64 hex digits") == true)
    }
}
