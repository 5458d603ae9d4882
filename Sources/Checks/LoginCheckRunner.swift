import DrillSupport
import Foundation
import PostgresClient

/// Runs a `login` check: the role part over a real password-checked connection, the
/// application part with `crypt()` in the restored database.
enum LoginCheckRunner {
    static func run(_ spec: LoginCheck, context: CheckContext) async -> (CheckStatus, String, String) {
        var observed: [String] = []
        if let role = spec.role {
            let (status, message, lines) = await roleLogin(role, context: context)
            observed += lines
            if status != .passed { return (status, message, observed.joined(separator: "\n")) }
        }
        if let appUser = spec.appUser {
            let (status, message, lines) = await appUserLogin(appUser, context: context)
            observed += lines
            if status != .passed { return (status, message, observed.joined(separator: "\n")) }
        }
        return (.passed, "", observed.joined(separator: "\n"))
    }

    static func roleLogin(_ spec: LoginCheck.RoleLogin, context: CheckContext) async -> (CheckStatus, String, [String]) {
        let role: String
        let password: String
        do {
            role = try spec.role.render(context.variables)
            password = try spec.password.render(context.variables)
        } catch {
            return (.error, "cannot build the login: \(error)", [])
        }
        var lines: [String] = []
        // What the restored catalog says about the role, read as the drill's superuser.
        do {
            let admin = try await PostgresConnection.connect(context.connection)
            defer { admin.close() }
            let info = try await admin.query(
                "SELECT rolcanlogin, rolvaliduntil < now(), split_part(coalesce(rolpassword, ''), '$', 1) FROM pg_authid WHERE rolname = $1", [role])
            guard info.rows.count == 1 else {
                return (.failed, "role '\(role)' does not exist in the restored copy (a pg_dump archive carries no roles: they come from pg_dumpall --globals-only)", lines)
            }
            if info.bool(column: 0) != true { return (.failed, "role '\(role)' cannot log in (NOLOGIN)", lines) }
            if info.bool(column: 1) == true { return (.failed, "role '\(role)' has a password that expired (VALID UNTIL is past)", lines) }
            let verifier = info.value(column: 2) ?? ""
            lines.append("role \(role): stored verifier \(verifier.isEmpty ? "none" : verifier)")
            if verifier.isEmpty { return (.failed, "role '\(role)' has no password in the restored copy", lines) }
        } catch {
            return (.error, "cannot read pg_authid: \(error)", lines)
        }
        var target = context.connection
        target.user = role
        if let database = spec.database { target.database = database }
        // A login only proves something if a wrong password is refused on the same path.
        target.password = "restore-drill-wrong-" + UUID().uuidString
        if let intruder = try? await PostgresConnection.connect(target) {
            intruder.close()
            return (
                .error,
                "the restored server let role '\(role)' in with a wrong password (its pg_hba.conf trusts this path), so a login proves nothing; the drill's server must check passwords for this role",
                lines)
        }
        lines.append("a wrong password is refused")
        target.password = password
        do {
            let session = try await PostgresConnection.connect(target)
            defer { session.close() }
            let method = try await session.query("SELECT current_user, session_user").value() ?? role
            lines.append("role \(method) logged in to \(target.database) with its password")
        } catch {
            return (error.code == .connectionFailed ? .failed : .error, "role '\(role)' cannot log in: \(error.message)", lines)
        }
        return (.passed, "", lines)
    }

    static func appUserLogin(_ spec: LoginCheck.AppUserLogin, context: CheckContext) async -> (CheckStatus, String, [String]) {
        let values: [String]
        let password: String
        do {
            values = try spec.match.map { try $0.value.render(context.variables) }
            password = try spec.password.render(context.variables)
        } catch {
            return (.error, "cannot build the login: \(error)", [])
        }
        let parts = spec.table.split(separator: ".", maxSplits: 1).map(String.init)
        let table = parts.map(quoted).joined(separator: ".")
        let hash = quoted(spec.hashColumn)
        let matches = spec.match.enumerated().map { index, entry in
            spec.ignoringCase.contains(entry.column) ? "lower(\(quoted(entry.column))) = lower($\(index + 1))" : "\(quoted(entry.column)) = $\(index + 1)"
        }
        let conditions = matches + (spec.condition.map { ["(\($0))"] } ?? [])
        let who = zip(spec.match, values).map { "\($0.column) = '\($1)'" }.joined(separator: ", ")
        let found = who + (spec.condition.map { " and \($0)" } ?? "")
        do {
            let session = try await PostgresConnection.connect(context.connection)
            defer { session.close() }
            // The row first, hashing nothing: crypt() errors on an empty or foreign hash ("invalid
            // salt"), and another row with the same email (an SSO identity) must not be hashed at all.
            let refusals = spec.refusals.map { "((\($0.when)) IS TRUE)" }
            let sql = "SELECT \(([hash] + refusals).joined(separator: ", ")) FROM \(table) WHERE \(conditions.joined(separator: " AND "))"
            let rows = try await session.query(sql, values)
            guard let row = rows.rows.first else { return (.failed, "no row of \(spec.table) has \(found)", []) }
            if rows.rows.count > 1 { return (.failed, "\(rows.rows.count) rows of \(spec.table) have \(found); expected one", []) }
            for (index, refusal) in spec.refusals.enumerated() where row[index + 1] == "t" {
                return (.failed, "the row of \(spec.table) with \(who) cannot log in: \(refusal.because) (\(refusal.when))", [])
            }
            guard let stored = row[0], !stored.isEmpty else {
                return (.failed, "the row of \(spec.table) with \(who) has no password (\(spec.hashColumn) is \(row[0] == nil ? "NULL" : "empty"))", [])
            }
            // pgcrypto may live outside the search path (Supabase installs it in `extensions`).
            guard let schema = try await session.query(
                """
                SELECT quote_ident(n.nspname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE p.proname = 'crypt' AND p.pronargs = 2 ORDER BY n.nspname <> 'public', n.nspname LIMIT 1
                """
            ).value() else {
                return (.failed, "crypt() does not exist in the restored database: the pgcrypto extension was not restored", [])
            }
            if let foreign = foreignHashKind(stored) {
                return (
                    .error,
                    "\(spec.hashColumn) of the row with \(who) is \(foreign), which crypt() cannot check (it knows bcrypt $2a$/$2b$, md5-crypt $1$ and des); the login cannot be proven here",
                    [])
            }
            let verified: Bool
            do {
                verified = try await session.query("SELECT $1 = \(schema).crypt($2, $1)", [stored, password]).bool() == true
            } catch let error where error.sqlState == "22023" {
                return (
                    .error,
                    "\(spec.hashColumn) of the row with \(who) is not a hash crypt() can check (\(error.message)); the login cannot be proven here",
                    [])
            }
            guard verified else {
                return (.failed, "the password does not verify against \(spec.table).\(spec.hashColumn) of the row with \(who)", [])
            }
            return (.passed, "", ["\(spec.table) row with \(who): \(spec.hashColumn) verifies with crypt()"])
        } catch {
            return (error.code == .queryFailed ? .failed : .error, "cannot verify the password hash: \(error)", [])
        }
    }

    /// What a stored hash is when it is one crypt() would misread rather than refuse: an Argon2
    /// or scrypt hash (GoTrue accepts imported ones) looks like a des salt to it and never matches.
    static func foreignHashKind(_ hash: String) -> String? {
        let kinds = [("$argon2", "an Argon2 hash"), ("$fbscrypt$", "a Firebase scrypt hash"), ("$scrypt$", "an scrypt hash"),
                     ("$5$", "a sha256-crypt hash"), ("$6$", "a sha512-crypt hash"), ("$pbkdf2", "a PBKDF2 hash")]
        return kinds.first { hash.hasPrefix($0.0) }?.1
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
