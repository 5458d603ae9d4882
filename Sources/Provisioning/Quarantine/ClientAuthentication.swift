import DrillSupport
import Foundation

/// The drill's own `pg_hba.conf`, for every provisioner: the unix socket only, never a
/// `replication` line, production's file never used.
public enum ClientAuthentication {
    /// The rules. `trustedRoles` log in without a password on the socket (a restored copy's
    /// superuser, whose password the drill does not know); every other role must give its
    /// password: `md5` accepts SCRAM and md5 verifiers alike and uses SCRAM for SCRAM ones, so a
    /// login check still proves the password. With `loopback`, TCP on 127.0.0.1 with a password
    /// (reached through the drill's relay, never from the server's own network, which has none).
    public static func rules(trustedRoles: [String], loopback: Bool) -> String {
        var rules = ["# Written by restore-drill: the private socket only; no replication line."]
        if !trustedRoles.isEmpty {
            rules.append("local all \(trustedRoles.map(quoted).joined(separator: ",")) trust")
        }
        rules.append("local all all \(trustedRoles.isEmpty ? "scram-sha-256" : "md5")")
        if loopback { rules.append("host all all 127.0.0.1/32 scram-sha-256") }
        return rules.joined(separator: "\n") + "\n"
    }

    /// Writes `pg_hba.conf` and an empty `pg_ident.conf` into `directory`; returns the settings that use them.
    public static func write(
        into directory: String, trustedRoles: [String], loopback: Bool, owner: OSUser?, readableByOthers: Bool = false
    ) throws(ProvisionError) -> [String: String] {
        let hba = directory + "/pg_hba.conf"
        let ident = directory + "/pg_ident.conf"
        try ScratchDirectory.writePrivateFile(hba, contents: rules(trustedRoles: trustedRoles, loopback: loopback), owner: owner)
        try ScratchDirectory.writePrivateFile(ident, contents: "", owner: owner)
        if readableByOthers {
            chmod(hba, 0o644)
            chmod(ident, 0o644)
        }
        return ["hba_file": hba, "ident_file": ident]
    }

    static func quoted(_ role: String) -> String { "\"" + role.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
