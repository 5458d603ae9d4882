import CLibPQ
import DrillSupport
import Foundation

extension ConnectionParameters {
    /// Parses a connection string the way libpq does (`postgresql://user:pass@host:5432/db?sslmode=require`
    /// or `host=... port=... dbname=...`), with libpq's own parser. Several hosts (`h1,h2`) keep
    /// their commas in `host`. Throws a message (with the password masked) when libpq refuses it.
    public static func parse(dsn: String) throws(PostgresError) -> ConnectionParameters {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &error) else {
            let reason = error.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "not a connection string"
            PQfreemem(error)
            throw PostgresError(code: .connectionFailed, message: "the DSN cannot be parsed: \(reason)", target: SecretMasker.shared.mask(dsn))
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            cursor += 1
        }
        if let password = values["password"] { SecretMasker.shared.register(password) }
        var extra: [String: String] = [:]
        for key in ["sslmode", "sslrootcert", "sslcert", "sslkey", "target_session_attrs"] { if let value = values[key] { extra[key] = value } }
        return ConnectionParameters(
            host: values["host"] ?? values["hostaddr"] ?? "localhost", port: Int(values["port"] ?? "") ?? 5432, user: values["user"] ?? "postgres",
            password: values["password"], database: values["dbname"] ?? values["user"] ?? "postgres", options: extra)
    }
}
