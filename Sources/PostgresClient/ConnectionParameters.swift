import DrillSupport
import Foundation

/// Where and how to reach a PostgreSQL server, as libpq keywords (never one concatenated
/// string, so no value ever needs quoting and the password never sits in a printable DSN).
public struct ConnectionParameters: Sendable, Hashable, CustomStringConvertible {
    /// A host name, an IP address, or a unix-socket directory (starts with `/`).
    public var host: String
    /// TCP port, or the socket file's number.
    public var port: Int
    /// Role to log in as.
    public var user: String
    /// Password; masked in every description.
    public var password: String?
    /// Database to connect to.
    public var database: String
    /// Shown in `pg_stat_activity.application_name`.
    public var applicationName: String
    /// Seconds libpq waits for the connection.
    public var connectTimeout: Int
    /// Extra libpq keywords (`sslmode`, `sslrootcert`, ...).
    public var options: [String: String]

    /// Describes a connection.
    public init(
        host: String, port: Int, user: String, password: String? = nil, database: String,
        applicationName: String = "restore-drill", connectTimeout: Int = 10, options: [String: String] = [:]
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.options = options
    }

    /// The same server, another database.
    public func with(database: String) -> ConnectionParameters {
        var copy = self
        copy.database = database
        return copy
    }

    /// libpq keyword/value pairs.
    var keywords: [(String, String)] {
        var pairs: [(String, String)] = [
            ("host", host), ("port", String(port)), ("user", user), ("dbname", database),
            ("application_name", applicationName), ("connect_timeout", String(connectTimeout)),
        ]
        if let password { pairs.append(("password", password)) }
        pairs += options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return pairs
    }

    /// The standard libpq environment variables, so `psql`, `pg_restore` and any client
    /// reach the server unchanged.
    public var libpqEnvironment: [String: String] {
        var environment = [
            "PGHOST": host, "PGPORT": String(port), "PGUSER": user, "PGDATABASE": database,
            "PGAPPNAME": applicationName, "PGCONNECT_TIMEOUT": String(connectTimeout),
        ]
        if let password { environment["PGPASSWORD"] = password }
        if let sslmode = options["sslmode"] { environment["PGSSLMODE"] = sslmode }
        return environment
    }

    /// `user@host:port/database`, never the password.
    public var description: String { "\(user)@\(host):\(port)/\(database)" }
}
