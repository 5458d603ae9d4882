import ConfigBundles
import DrillSupport
import Foundation

/// Reads a plaintext bundle for its format: a Kubernetes bundle may be a tar (optionally
/// gzip-compressed) of manifests, read member by member (regular `.yaml`, `.yml` and `.json`
/// files only, never extracted to disk); everything else is one text file.
enum ConfigBundleFile {
    static func values(_ path: String, format: ConfigFormat) async throws -> Result<ConfigValues, ConfigParseError> {
        let text: String
        if format == .kubernetes, isTar(path) {
            do {
                text = try await manifests(inTar: path)
            } catch let error as ConfigParseError {
                return .failure(error)
            }
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                return .failure(ConfigParseError("the bundle cannot be read"))
            }
            text = String(decoding: data, as: UTF8.self)
        }
        do {
            return .success(try ConfigParsing.parse(text, format: format))
        } catch {
            return .failure(error)
        }
    }

    static func isTar(_ path: String) -> Bool {
        [".tar", ".tar.gz", ".tgz"].contains { path.hasSuffix($0) }
    }

    private static func manifests(inTar path: String) async throws -> String {
        let listed = try await ProcessRunner.run(
            ToolInvocation(executable: "tar", arguments: ["--list", "--verbose", "--auto-compress", "--file", path], displayName: "tar --list"))
        guard listed.succeeded else { throw ConfigParseError("not a readable tar (\(listed.terminationDescription))") }
        var documents: [String] = []
        for line in listed.standardOutput.split(separator: "\n") where line.hasPrefix("-") {
            // -rw-r--r-- user/group SIZE DATE TIME NAME
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { continue }
            let name = String(fields[5])
            guard [".yaml", ".yml", ".json"].contains(where: { name.hasSuffix($0) }) else { continue }
            let member = try await ProcessRunner.run(
                ToolInvocation(
                    executable: "tar", arguments: ["--extract", "--to-stdout", "--auto-compress", "--file", path, "--", name], displayName: "tar --extract",
                    captureLimit: 16 << 20))
            guard member.succeeded else { throw ConfigParseError("\(name) cannot be read from the tar") }
            documents.append(member.standardOutput)
        }
        return documents.joined(separator: "\n---\n")
    }
}
