import DrillSupport
import Foundation
import PostgresClient
import Reports

/// Asserts from SQL that the restored server is quarantined: each measure is a test case.
public enum QuarantineAudit {
    /// A physical copy brings production's subscriptions back enabled, with production's conninfo.
    /// No apply worker can start (max_logical_replication_workers = 0); this makes it permanent
    /// and detaches them from the publisher's slots, database by database.
    public static func disableSubscriptions(_ connection: ConnectionParameters) async -> [ReportCase] {
        let start = ContinuousClock.now
        do {
            let session = try await PostgresConnection.connect(connection)
            let subscriptions = try await session.query(
                "SELECT s.subname, d.datname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid ORDER BY 2, 1")
            session.close()
            var disabled: [String] = []
            for row in subscriptions.rows {
                guard let name = row[0], let database = row[1] else { continue }
                let owner = try await PostgresConnection.connect(connection.with(database: database))
                defer { owner.close() }
                let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                _ = try await owner.execute("ALTER SUBSCRIPTION \(quoted) DISABLE; ALTER SUBSCRIPTION \(quoted) SET (slot_name = NONE)")
                disabled.append("\(database).\(name)")
            }
            return [
                ReportCase(
                    name: "subscriptions disabled and detached from their slots", status: .passed, seconds: (ContinuousClock.now - start).seconds,
                    output: disabled.isEmpty ? "no subscriptions" : disabled.joined(separator: ", "))
            ]
        } catch {
            return [ReportCase(name: "subscriptions disabled and detached from their slots", status: .error, message: "\(error)")]
        }
    }

    public static func audit(_ connection: ConnectionParameters, listenOnLoopback: Bool, listener: (name: String, accepted: Set<String>)? = nil) async -> [ReportCase] {
        let listen = listener ?? ("listens on the private socket\(listenOnLoopback ? " and 127.0.0.1" : " only")", [listenOnLoopback ? "127.0.0.1" : ""])
        // With archive_mode=off PostgreSQL reports archive_command as "(disabled)".
        let expectations: [(name: String, sql: String, accepted: Set<String>)] = [
            ("archive_mode is off", "SHOW archive_mode", ["off"]),
            ("archive_command cannot archive", "SHOW archive_command", ["(disabled)", "/bin/false"]),
            ("no primary_conninfo", "SHOW primary_conninfo", [""]),
            ("no logical replication workers", "SHOW max_logical_replication_workers", ["0"]),
            ("no replication connections allowed", "SELECT count(*)::text FROM pg_hba_file_rules WHERE 'replication' = ANY(database)", ["0"]),
            (listen.name, "SHOW listen_addresses", listen.accepted),
            ("no enabled subscriptions", "SELECT count(*)::text FROM pg_subscription WHERE subenabled", ["0"]),
        ]
        let session: PostgresConnection
        do {
            session = try await PostgresConnection.connect(connection)
        } catch {
            return [ReportCase(name: "connect to audit the quarantine", status: .error, message: "\(error)")]
        }
        defer { session.close() }
        var cases: [ReportCase] = []
        for item in expectations {
            let caseStart = ContinuousClock.now
            do {
                let actual = try await session.query(item.sql).value() ?? ""
                let passed = item.accepted.contains(actual)
                cases.append(
                    ReportCase(
                        name: item.name, status: passed ? .passed : .failed, seconds: (ContinuousClock.now - caseStart).seconds,
                        message: passed ? nil : "\(item.sql) returned '\(actual)', expected \(item.accepted.sorted().map { "'\($0)'" }.joined(separator: " or ")): the restored copy could act on the outside world",
                        output: "\(item.sql) = '\(actual)'"))
            } catch {
                cases.append(ReportCase(name: item.name, status: .error, message: "\(item.sql) failed: \(error)"))
            }
        }
        return cases
    }
}
