import Foundation
@testable import Restore
import Testing

@Suite("Backup inventory: table of contents, plain dump scan, shape, completeness")
struct InventoryTests {
    // Lines as pg_restore 15 --list prints them for a real archive.
    static let list = """
        ;
        ; Archive created at 2026-12-01 12:00:00 UTC
        ;     dbname: app
        ;
        6; 2615 16384 SCHEMA - app postgres
        859; 1247 16421 DOMAIN app pos postgres
        224; 1255 16418 FUNCTION app f(integer) postgres
        223; 1255 16417 FUNCTION app f(integer, text) postgres
        216; 1259 16386 TABLE app orders postgres
        217; 1259 16397 TABLE app my items postgres
        215; 1259 16385 SEQUENCE app orders_id_seq postgres
        3398; 0 0 SEQUENCE OWNED BY app orders_id_seq postgres
        3228; 0 0 TABLE ATTACH app p1 postgres
        3389; 2613 16423 BLOB - 16423 postgres
        3385; 0 16397 TABLE DATA app my items postgres
        3384; 0 16386 TABLE DATA app orders postgres
        3390; 0 0 BLOBS - BLOBS 
        3235; 2606 16394 CONSTRAINT app orders orders_pkey postgres
        3236; 1259 16408 INDEX app my items_v_idx postgres
        3237; 2606 16403 FK CONSTRAINT app my items my items_id_fkey postgres
        3238; 2620 16419 TRIGGER app orders t postgres
        3400; 0 0 COMMENT app TABLE orders postgres
        """

    @Test func theTableOfContentsIsReadByKind() {
        let inventory = InventoryReader.fromList(Self.list)
        #expect(inventory.objects[.schema] == ["app"])
        #expect(inventory.objects[.table] == ["app.orders", "app.my items"])
        #expect(inventory.tablesWithData == ["app.my items", "app.orders"])
        #expect(inventory.objects[.constraint] == ["app.orders orders_pkey", "app.my items my items_id_fkey"])
        #expect(inventory.objects[.function] == ["app.f", "app.f"])
        #expect(inventory.objects[.index] == ["app.my items_v_idx"])
        #expect(inventory.objects[.largeObject] == ["16423"])
        #expect(inventory.objects[.trigger] == ["app.orders t"])
        #expect(inventory.objects[.type] == ["app.pos"])
        #expect(inventory.shape == .full)
    }

    @Test func plainDumpCommentsCopyRowsAndTheTrailerAreRead() {
        var scanner = PlainDumpScanner()
        let dump = """
            -- Name: orders; Type: TABLE; Schema: app; Owner: postgres
            CREATE TABLE app.orders (id integer);
            -- Data for Name: orders; Type: TABLE DATA; Schema: app; Owner: postgres
            COPY app.orders (id) FROM stdin;
            1
            2
            \\N
            \\.
            -- Data for Name: empty; Type: TABLE DATA; Schema: app; Owner: -
            COPY app.empty (id) FROM stdin;
            \\.
            -- Data for Name: logs; Type: TABLE DATA; Schema: app; Owner: postgres
            INSERT INTO app.logs VALUES (1);
            -- Name: orders orders_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
            ALTER TABLE ONLY app.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
            --
            -- PostgreSQL database dump complete
            --

            \\unrestrict abc
            """
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) { scanner.observe(line) }
        let inventory = scanner.result
        #expect(inventory.complete == true)
        #expect(inventory.rows == ["app.orders": 3, "app.empty": 0])
        #expect(inventory.tablesWithData == ["app.orders", "app.empty", "app.logs"])
        #expect(inventory.objects[.constraint] == ["app.orders orders_pkey"])
    }

    /// A pg_dumpall: the last table of one database is followed by the `\connect` to the next.
    @Test func rowsAreCountedPerDatabaseOfAClusterDump() {
        var scanner = PlainDumpScanner()
        let dump = """
            --
            -- PostgreSQL database cluster dump
            --
            \\connect shop
            -- Data for Name: orders; Type: TABLE DATA; Schema: public; Owner: app
            COPY public.orders (id) FROM stdin;
            1
            2
            \\.
            --
            -- PostgreSQL database dump complete
            --
            \\connect crm
            -- Data for Name: orders; Type: TABLE DATA; Schema: public; Owner: app
            COPY public.orders (id) FROM stdin;
            7
            \\.
            --
            -- PostgreSQL database dump complete
            --
            -- PostgreSQL database cluster dump complete
            --
            """
        scanner.enterDatabase("postgres")
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("\\connect ") { scanner.enterDatabase(String(line.dropFirst("\\connect ".count))) }
            scanner.observe(line)
        }
        let inventory = scanner.result
        #expect(inventory.complete == true)
        #expect(inventory.spansDatabases == true)
        #expect(inventory.rows == ["public.orders": 3])
        #expect(inventory.databases?["shop"]?.rows == ["public.orders": 2])
        #expect(inventory.databases?["crm"]?.rows == ["public.orders": 1])
    }

    @Test func aTrailerWithMoreDumpAfterItIsNotTheEnd() {
        var scanner = PlainDumpScanner()
        // The trailer's words inside a function body, then the dump goes on and is cut.
        for line in ["CREATE FUNCTION f() RETURNS text AS $$", "-- PostgreSQL database dump complete", "$$ LANGUAGE sql;", "CREATE TABLE t (x int);"] {
            scanner.observe(Substring(line))
        }
        #expect(scanner.result.complete == false)
    }

    @Test func theShapeOfABackupIsJudgedAgainstWhatIsDeclared() {
        let full = InventoryReader.fromList(Self.list)
        #expect(Completeness.shapeProblem(full, declared: .full) == nil)
        var schemaOnly = full
        schemaOnly.tablesWithData = []
        #expect(Completeness.shapeProblem(schemaOnly, declared: .full)?.contains("schema-only dump") == true)
        #expect(Completeness.shapeProblem(schemaOnly, declared: .schemaOnly) == nil)
        let dataOnly = BackupInventory(source: "test", tablesWithData: ["app.orders"])
        #expect(Completeness.shapeProblem(dataOnly, declared: .full)?.contains("data-only dump") == true)
        #expect(Completeness.shapeProblem(dataOnly, declared: .dataOnly) == nil)
        var cut = full
        cut.complete = false
        #expect(Completeness.shapeProblem(cut, declared: .full)?.contains("completion trailer") == true)
        #expect(Completeness.shapeProblem(cut, declared: .partial) == nil)
        #expect(Completeness.shapeProblem(full, declared: .schemaOnly)?.contains("holds the data of 2 table(s)") == true)
    }

    @Test func missingObjectsAreNamedAndOverloadsCounted() {
        let inventory = InventoryReader.fromList(Self.list)
        let catalog = RestoredCatalog(
            objects: [
                .schema: ["app": 1, "public": 1], .table: ["app.orders": 1, "app.my items": 1], .function: ["app.f": 1],
                .constraint: ["app.orders orders_pkey": 1], .index: ["app.my items_v_idx": 1, "app.orders_pkey": 1], .type: ["app.pos": 1],
                .largeObject: ["16423": 1], .trigger: ["app.orders t": 1],
            ],
            relations: [:])
        let missing = Completeness.missingObjects(inventory, restored: catalog)
        #expect(missing == [.function: ["app.f (1 of 2)"], .constraint: ["app.my items my items_id_fkey"], .sequence: ["app.orders_id_seq"]])
    }

    @Test func rowsAndFingerprintsNameTheTablesThatDiffer() {
        #expect(
            Completeness.rowMismatches(expected: ["a.t": 3, "a.u": 0, "a.v": 2], restored: ["a.t": 3, "a.u": 0]).map(\.description)
                == ["a.v: not restored (2 rows recorded)"])
        let recorded = ["a.t": TableFingerprint(rows: 3, digest: "10"), "a.u": TableFingerprint(rows: 2, digest: "7")]
        let restored = ["a.t": TableFingerprint(rows: 3, digest: "11"), "a.u": TableFingerprint(rows: 1, digest: "4")]
        #expect(
            Completeness.fingerprintMismatches(expected: recorded, restored: restored).map(\.description)
                == ["a.t: 3 rows as recorded, but their content differs", "a.u: 1 rows restored, 2 recorded"])
    }

    @Test func theInventoryRoundTripsThroughTheSidecar() throws {
        var inventory = InventoryReader.fromList(Self.list)
        inventory.rows = ["app.orders": 2]
        inventory.fingerprints = SourceFingerprints(takenAt: nil, snapshot: "00000003-0000001B-1", tables: ["app.orders": .init(rows: 2, digest: "5")])
        let data = try JSONEncoder().encode(inventory)
        #expect(String(decoding: data, as: UTF8.self).contains(#""counts""#))
        #expect(try JSONDecoder().decode(BackupInventory.self, from: data) == inventory)
    }

    /// A quoted name with a newline splits the COPY statement over two lines: its data is still data.
    @Test func aCopyStatementOverTwoLinesStartsCopyData() {
        let lines = [
            "-- Data for Name: legacy import; Type: TABLE DATA; Schema: public; Owner: postgres", "COPY public.\"legacy", "import\" (line) FROM stdin;",
            "one", "\\connect elsewhere", "\\.", "-- PostgreSQL database dump complete",
        ]
        var scanner = PlainDumpScanner()
        var filter = PlainSQLFilter()
        var actions: [PlainSQLFilter.Action] = []
        for line in lines {
            scanner.observe(Substring(line))
            actions.append(filter.classify(Substring(line)))
        }
        #expect(scanner.result.rows == ["public.legacy import": 2])
        #expect(scanner.result.complete == true)
        #expect(actions == Array(repeating: .pass, count: lines.count), "a data line is never a meta-command")
        let roles = RoleScanner()
        for line in ["COPY public.\"a", "b\" (x) FROM stdin;", "GRANT SELECT ON TABLE t TO evil;", "\\.", "GRANT SELECT ON TABLE t TO reader;"] { roles.consume(line) }
        #expect(roles.roles == ["reader"])
    }
}
