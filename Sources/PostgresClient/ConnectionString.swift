import CLibPQ
import DrillSupport
import Foundation

extension ConnectionParameters {
    /// Keywords a drill refuses in a DSN: each lets something other than the DSN's own host
    /// decide where libpq connects (a service file, a numeric address that overrides `host`,
    /// a password file), so `allow_hosts` could not vouch for the target.
    public static let refusedKeywords: [String: String] = [
        "service": "it names a service file entry, whose host the drill cannot check",
        "hostaddr": "it overrides host with an address allow_hosts never sees",
        "passfile": "it reads credentials from a file the drill does not control",
    ]

    /// Resolves a connection string the way libpq does (`postgresql://user:pass@host:5432/db?sslmode=require`
    /// or `host=... port=... dbname=...`), with libpq's own parser and its compiled-in defaults for
    /// what is missing (port 5432, the OS user), and refuses what would let anything but the
    /// DSN's hosts decide the target: no host (libpq would pick a local socket), an empty host
    /// entry (`host=''`, `host=,`, `?host=`), and the keywords in `refusedKeywords`. Several hosts
    /// (`h1,h2`) keep their commas in `host`. Messages mask the password.
    public static func parse(dsn: String) throws(PostgresError) -> ConnectionParameters {
        LibpqEnvironment.scrubProcess()
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &error) else {
            let reason = error.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "not a connection string"
            PQfreemem(error)
            throw PostgresError(code: .connectionFailed, message: "the DSN cannot be parsed: \(reason)", target: SecretMasker.shared.mask(dsn))
        }
        defer { PQconninfoFree(options) }
        let values = Self.entries(options).reduce(into: [String: String]()) { $0[$1.keyword] = $1.value }
        if let password = values["password"] { SecretMasker.shared.register(password) }
        let refuse = { (message: String) in
            PostgresError(code: .connectionFailed, message: message, target: SecretMasker.shared.mask(dsn))
        }
        if let password = values["password"], password.count < SecretMasker.minimumLength {
            throw refuse("the DSN's password is under \(SecretMasker.minimumLength) characters, too short to be masked in reports; use a longer one")
        }
        for (keyword, reason) in refusedKeywords.sorted(by: { $0.key < $1.key }) where values[keyword] != nil {
            throw refuse("the DSN sets \(keyword), which a drill refuses: \(reason). Name the host itself.")
        }
        guard let host = values["host"], !host.isEmpty else {
            throw refuse("the DSN names no host, so libpq would pick one itself (a local socket). Name the host (host=... or postgresql://user@HOST/db).")
        }
        let hosts = host.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if hosts.contains(where: \.isEmpty) {
            throw refuse("the DSN's host list '\(host)' has an empty entry, which libpq fills with a default the drill cannot check. Name every host.")
        }
        let defaults = Self.compiledDefaults()
        let portText = values["port"] ?? defaults["port"] ?? "5432"
        let ports = portText.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard ports.count == 1 || ports.count == hosts.count, ports.allSatisfy({ $0.isEmpty || Int($0) != nil }) else {
            throw refuse("the DSN's ports '\(portText)' do not match its \(hosts.count) host(s)")
        }
        let user = values["user"] ?? defaults["user"] ?? OSUser.current.name
        var extra: [String: String] = [:]
        let owned: Set<String> = ["host", "port", "user", "password", "dbname", "application_name", "connect_timeout"]
        for (key, value) in values where !owned.contains(key) && !value.isEmpty { extra[key] = value }
        if ports.count > 1 { extra["port"] = portText }
        var parameters = ConnectionParameters(
            host: hosts.joined(separator: ","), port: Int(ports[0]) ?? 5432, user: user, password: values["password"],
            database: values["dbname"] ?? user, options: extra)
        if let timeout = values["connect_timeout"].flatMap(Int.init) { parameters.connectTimeout = timeout }
        return parameters
    }

    /// libpq's defaults with the drill's environment scrubbed: its compiled-in values only.
    static func compiledDefaults() -> [String: String] {
        guard let options = PQconndefaults() else { return [:] }
        defer { PQconninfoFree(options) }
        return entries(options).reduce(into: [:]) { $0[$1.keyword] = $1.value }
    }

    /// For each libpq keyword, the environment variable that sets it for a child (`sslmode` →
    /// `PGSSLMODE`), from libpq's own table.
    static let environmentVariables: [String: String] = {
        guard let options = PQconndefaults() else { return [:] }
        defer { PQconninfoFree(options) }
        return entries(options).reduce(into: [:]) { $0[$1.keyword] = $1.variable }
    }()

    /// The keyword, value and environment variable of each entry of a libpq option array.
    static func entries(_ options: UnsafeMutablePointer<PQconninfoOption>) -> [(keyword: String, value: String?, variable: String?)] {
        var entries: [(String, String?, String?)] = []
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            entries.append((String(cString: keyword), cursor.pointee.val.map { String(cString: $0) }, cursor.pointee.envvar.map { String(cString: $0) }))
            cursor += 1
        }
        return entries
    }
}
