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

    /// A password file that never exists: libpq then reads none (not the operator's ~/.pgpass).
    public static let noPasswordFile = "/nonexistent/restore-drill/pgpass"
    /// A configuration folder that never exists: no system-wide `pg_service.conf` or `psqlrc`.
    public static let noConfigurationFolder = "/nonexistent/restore-drill/etc"

    /// libpq keyword/value pairs: complete, so nothing is left for libpq to fill in from the
    /// environment or a file.
    var keywords: [(String, String)] {
        var pairs: [(String, String)] = [
            ("host", host), ("port", options["port"] ?? String(port)), ("user", user), ("dbname", database),
            ("application_name", applicationName), ("connect_timeout", String(connectTimeout)), ("passfile", Self.noPasswordFile),
        ]
        if let password { pairs.append(("password", password)) }
        pairs += options.filter { $0.key != "port" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return pairs
    }

    /// The standard libpq environment variables, so `psql`, `pg_restore` and any client
    /// reach the server unchanged.
    /// Children never inherit the drill's own PG* variables (`ChildEnvironment`): these are all
    /// they get, plus each extra keyword's variable from libpq's own table (`sslmode` → `PGSSLMODE`).
    public var libpqEnvironment: [String: String] {
        var environment = [
            "PGHOST": host, "PGPORT": options["port"] ?? String(port), "PGUSER": user, "PGDATABASE": database,
            "PGAPPNAME": applicationName, "PGCONNECT_TIMEOUT": String(connectTimeout), "PGPASSFILE": Self.noPasswordFile,
            // psql in a check reads neither the operator's ~/.psqlrc nor the system's psqlrc.
            "PGSYSCONFDIR": Self.noConfigurationFolder, "PSQLRC": "/dev/null",
        ]
        if let password { environment["PGPASSWORD"] = password }
        for (key, value) in options where key != "port" {
            if let variable = Self.environmentVariables[key] { environment[variable] = value }
        }
        return environment
    }

    /// A `postgresql://` URL for applications that take `DATABASE_URL` (a socket directory goes
    /// in the `host` query parameter). It holds the password: pass it on, never print it.
    public var url: String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        let credentials = encode(user) + (password.map { ":" + encode($0) } ?? "")
        if host.hasPrefix("/") {
            return "postgresql://\(credentials)@/\(encode(database))?host=\(encode(host))&port=\(port)"
        }
        return "postgresql://\(credentials)@\(host):\(port)/\(encode(database))"
    }

    /// `user@host:port/database`, never the password.
    public var description: String { "\(user)@\(host):\(port)/\(database)" }
}
