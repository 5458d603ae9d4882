import DrillSupport
import Foundation

/// A directory of PostgreSQL programs of one major version (initdb, pg_ctl, pg_restore, psql...).
public struct ServerBinaries: Sendable, Equatable {
    /// The `bin` directory.
    public var directory: String
    /// Major version, e.g. 15.
    public var majorVersion: Int
    /// Full version as `postgres --version` prints it, e.g. `15.18`.
    public var version: String

    /// Describes binaries found elsewhere (in a container image).
    public init(directory: String, majorVersion: Int, version: String) {
        self.directory = directory
        self.majorVersion = majorVersion
        self.version = version
    }

    /// Absolute path of `tool` in this directory.
    public func path(_ tool: String) -> String { directory + "/" + tool }

    /// The server's `$libdir` (next to `bin`), where loadable libraries live.
    public var libraryDirectory: String { (directory as NSString).deletingLastPathComponent + "/lib" }

    /// True when the loadable library `name` (`pg_cron`) is installed for these binaries.
    public func hasLibrary(_ name: String) -> Bool { FileManager.default.fileExists(atPath: libraryDirectory + "/" + name + ".so") }

    /// Finds binaries of `major`: the drill file's `bin_dir` first, then the usual Debian,
    /// RHEL, Homebrew and source-install places, then `pg_config --bindir` on the PATH.
    public static func locate(major: Int, explicitDirectory: String? = nil) async throws(ProvisionError) -> ServerBinaries {
        if let explicitDirectory {
            guard let found = await inspect(explicitDirectory) else {
                throw ProvisionError(
                    .binariesNotFound,
                    "no PostgreSQL server binaries in \(explicitDirectory) (postgres.bin_dir): expected initdb, pg_ctl and postgres there")
            }
            guard found.majorVersion == major else {
                throw ProvisionError(
                    .binariesNotFound,
                    "postgres.bin_dir \(explicitDirectory) holds PostgreSQL \(found.version), but the backup needs major version \(major)")
            }
            return found
        }
        var looked: [String] = []
        for directory in candidateDirectories(major: major) {
            looked.append(directory)
            if let found = await inspect(directory), found.majorVersion == major { return found }
        }
        if let fromPgConfig = await pgConfigDirectory() {
            looked.append(fromPgConfig + " (pg_config --bindir)")
            if let found = await inspect(fromPgConfig), found.majorVersion == major { return found }
        }
        let installed = await installedMajors()
        let installedText = installed.isEmpty ? "none found" : installed.map(String.init).joined(separator: ", ")
        throw ProvisionError(
            .binariesNotFound,
            """
            PostgreSQL \(major) server binaries are not installed (installed majors: \(installedText); looked in \
            \(looked.joined(separator: ", "))). Install them (Debian/Ubuntu: apt-get install postgresql-\(major); \
            RHEL: dnf install postgresql\(major)-server; macOS: brew install postgresql@\(major)), or set \
            postgres.bin_dir in the drill file, or use the docker provisioner with a postgres:\(major) image.
            """)
    }

    /// Every installation found in the usual Debian and RHEL places, newest major first.
    public static func installed() async -> [ServerBinaries] {
        var found: [ServerBinaries] = []
        for root in ["/usr/lib/postgresql", "/usr"] {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
            for entry in entries {
                let directory = root == "/usr" ? (entry.hasPrefix("pgsql-") ? "/usr/\(entry)/bin" : nil) : "\(root)/\(entry)/bin"
                if let directory, let binaries = await inspect(directory), !found.contains(where: { $0.majorVersion == binaries.majorVersion }) {
                    found.append(binaries)
                }
            }
        }
        return found.sorted { $0.majorVersion > $1.majorVersion }
    }

    /// Every major version found in the usual places, newest first.
    public static func installedMajors() async -> [Int] { await installed().map(\.majorVersion) }

    static func candidateDirectories(major: Int) -> [String] {
        [
            "/usr/lib/postgresql/\(major)/bin", "/usr/pgsql-\(major)/bin", "/opt/homebrew/opt/postgresql@\(major)/bin",
            "/usr/local/opt/postgresql@\(major)/bin", "/usr/local/pgsql-\(major)/bin", "/usr/local/pgsql/bin",
        ]
    }

    /// Reads the version of the `postgres` binary in `directory`; nil when it is not a usable bin dir.
    public static func inspect(_ directory: String) async -> ServerBinaries? {
        let manager = FileManager.default
        guard ["initdb", "pg_ctl", "postgres"].allSatisfy({ manager.isExecutableFile(atPath: directory + "/" + $0) }) else {
            return nil
        }
        guard
            let result = try? await ProcessRunner.run(
                ToolInvocation(executable: directory + "/postgres", arguments: ["--version"], displayName: "postgres --version")),
            result.succeeded, let version = parseVersion(result.standardOutput)
        else { return nil }
        return ServerBinaries(directory: directory, majorVersion: majorVersion(of: version), version: version)
    }

    /// `15.18` from `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`.
    public static func parseVersion(_ text: String) -> String? {
        guard let range = text.range(of: #"\d+(\.\d+)*"#, options: .regularExpression) else { return nil }
        return String(text[range])
    }

    /// 15 from `15.18`; 9 from `9.6.24` is reported as 9 (pre-10 majors are not supported for drills anyway).
    public static func majorVersion(of version: String) -> Int {
        Int(version.split(separator: ".").first ?? "") ?? 0
    }

    private static func pgConfigDirectory() async -> String? {
        guard let result = try? await ProcessRunner.run(ToolInvocation(executable: "pg_config", arguments: ["--bindir"])),
            result.succeeded
        else { return nil }
        let directory = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return directory.isEmpty ? nil : directory
    }
}
