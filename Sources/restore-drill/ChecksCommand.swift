import ArgumentParser
import Checks
import Drill
import DrillSupport
import Foundation

/// `--only` and `--skip`: choose checks by id, tag or pack.
struct SelectionOptions: ParsableArguments {
    @Option(name: .long, help: "Run only checks with this id, tag or pack (repeatable).") var only: [String] = []
    @Option(name: .long, help: "Leave out checks with this id, tag or pack (repeatable); they are reported as skipped.")
    var skip: [String] = []
}

struct ChecksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks", abstract: "Inspect check packs.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every check of the given packs (names, folders or files), or of every known pack, with kind, tags and description.")

        @Argument(help: "Pack names, folders or .yaml files; none: every pack found.") var packs: [String] = []

        func run() async throws {
            let searchPaths = ResourceLocator.checkSearchPaths
            let entries = packs.isEmpty ? CheckLocator.packs(searchPaths: searchPaths).keys.sorted() : packs
            guard !entries.isEmpty else {
                FileHandle.standardError.write(Data("restore-drill: no check packs found (looked in \(searchPaths.joined(separator: ", ")))\n".utf8))
                throw ExitCode(DrillExitCode.usage.rawValue)
            }
            var checks: [CheckDefinition] = []
            do {
                for entry in entries {
                    checks += try CheckLocator.load(entry, base: FileManager.default.currentDirectoryPath, searchPaths: searchPaths) {
                        ConfigError(file: entry, message: $0)
                    }
                }
            } catch {
                throw Conclusion.fail(error)
            }
            Swift.print(CheckLocator.listing(checks))
        }
    }
}
