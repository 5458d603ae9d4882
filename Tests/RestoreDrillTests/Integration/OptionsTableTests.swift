import DrillTestSupport
import Foundation
import Testing

/// The README's options table is the user's map of the CLI: every subcommand and every flag
/// the argument parser knows (read from its own dump of the command tree) must be in it.
@Suite("README options table")
struct OptionsTableTests {
    /// The parts of swift-argument-parser's `--experimental-dump-help` this test reads.
    struct Dump: Decodable {
        struct Command: Decodable {
            var commandName: String
            var shouldDisplay: Bool?
            var subcommands: [Command]?
            var arguments: [Argument]?
        }
        struct Argument: Decodable {
            struct Name: Decodable {
                var kind: String
                var name: String
            }
            var kind: String
            var shouldDisplay: Bool?
            var names: [Name]?
        }
        var command: Command
    }

    @Test func everySubcommandAndFlagIsInTheReadme() async throws {
        let workspace = try TestWorkspace("options-table")
        defer { workspace.remove() }
        let dump = try await DrillCLI.runProgram(RepositoryPaths.executable, ["--experimental-dump-help"], workspace: workspace)
        #expect(dump.exitCode == 0, "\(dump.allOutput)")
        let tree = try JSONDecoder().decode(Dump.self, from: Data(dump.standardOutput.utf8))

        let readme = try String(contentsOfFile: RepositoryPaths.root + "/README.md", encoding: .utf8)
        let section = try #require(readme.range(of: "### Options\n")).upperBound
        let rows = readme[section...].split(separator: "\n").drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
            .filter { $0.hasPrefix("| `") }
        // A row belongs to a command when a code span of its first cell starts with the command's path.
        func rowsOf(_ path: String) -> [Substring] {
            rows.filter { row in
                // Cells end at " | "; a pipe inside a code span is written "\\|".
                let firstCell = String(row.dropFirst(2)).components(separatedBy: " | ")[0]
                let spans = firstCell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
                return spans.contains { $0 == path || $0.hasPrefix(path + " ") }
            }
        }
        var missing: [String] = []
        var commands = 0
        func visit(_ command: Dump.Command, path: [String]) {
            guard command.shouldDisplay != false, command.commandName != "help" else { return }
            for sub in command.subcommands ?? [] { visit(sub, path: path + [sub.commandName]) }
            guard !path.isEmpty, command.subcommands?.isEmpty ?? true else { return }
            commands += 1
            let name = path.joined(separator: " ")
            let documented = rowsOf(name)
            guard !documented.isEmpty else {
                missing.append("\(name): no row")
                return
            }
            let text = documented.joined(separator: " ")
            for argument in command.arguments ?? [] where argument.shouldDisplay != false && argument.kind != "positional" {
                let spellings = (argument.names ?? []).filter { !["help", "version", "h"].contains($0.name) }.map { ($0.kind == "short" ? "-" : "--") + $0.name }
                guard !spellings.isEmpty else { continue }
                let mentioned = spellings.contains { spelling in
                    text.range(of: "(^|[^A-Za-z0-9-])" + NSRegularExpression.escapedPattern(for: spelling) + "([^A-Za-z0-9-]|$)", options: .regularExpression) != nil
                }
                if !mentioned { missing.append("\(name) \(spellings.joined(separator: "/"))") }
            }
        }
        visit(tree.command, path: [])
        #expect(commands >= 12, "the dump lists \(commands) commands")
        #expect(missing.isEmpty, "not in the README's options table: \(missing.joined(separator: ", "))")
    }
}
