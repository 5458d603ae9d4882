import Foundation

/// One test line of a TAP stream.
public struct TAPTest: Sendable, Equatable {
    /// Outcome after directives: `not ok # TODO` is expected to fail and is not a failure.
    public enum Outcome: String, Sendable { case passed, failed, skipped }

    public var number: Int
    public var description: String
    public var outcome: Outcome
    /// `SKIP`/`TODO` and its reason, when present.
    public var directive: String?
    /// The YAML diagnostics block that followed the line.
    public var diagnostics: String
}

/// A TAP (version 12, 13 or 14) stream: the plan, the tests, a bail-out.
public struct TAPDocument: Sendable, Equatable {
    public var plannedCount: Int?
    /// The reason given with a `1..0 # SKIP` plan.
    public var skipAllReason: String?
    public var tests: [TAPTest]
    public var bailOut: String?

    /// Problems with the stream as a whole (a plan the tests do not match).
    public var problems: [String] {
        guard let plannedCount, skipAllReason == nil, bailOut == nil else { return [] }
        return plannedCount == tests.count ? [] : ["the plan announced \(plannedCount) test(s) but \(tests.count) ran"]
    }
}

/// Reads TAP from a check's standard output.
public enum TAPParser {
    /// The document, or nil when `text` is not TAP (no plan and no test line at the top level).
    public static func parse(_ text: String) -> TAPDocument? {
        var stream = TAPStream()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { stream.consume(String(line)) }
        return stream.document
    }

    static func parsePlan(_ line: String) -> (count: Int, skipReason: String?)? {
        guard line.hasPrefix("1..") else { return nil }
        let rest = line.dropFirst(3)
        let digits = rest.prefix { $0.isNumber }
        guard let count = Int(digits) else { return nil }
        let comment = rest.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        var skipReason: String?
        if comment.hasPrefix("#"), comment.dropFirst().trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("skip") {
            skipReason = comment.dropFirst().trimmingCharacters(in: .whitespaces).dropFirst(4).trimmingCharacters(in: .whitespaces)
        }
        if count == 0 && skipReason == nil { skipReason = "" }
        return (count, skipReason)
    }

    static func parseTest(_ line: String, next: Int) -> TAPTest? {
        let passed: Bool
        var rest: Substring
        if line.hasPrefix("ok") {
            passed = true
            rest = line.dropFirst(2)
        } else if line.hasPrefix("not ok") {
            passed = false
            rest = line.dropFirst(6)
        } else {
            return nil
        }
        guard rest.isEmpty || rest.first == " " else { return nil }
        rest = rest.drop { $0 == " " }
        let digits = rest.prefix { $0.isNumber }
        let number = Int(digits) ?? next
        rest = rest.dropFirst(digits.count).drop { $0 == " " }
        if rest.hasPrefix("-") { rest = rest.dropFirst().drop { $0 == " " } }
        var description = String(rest)
        var directive: String?
        // The directive is the first unescaped "#" followed by SKIP or TODO.
        if let hash = description.range(of: #"(?<!\\)#\s*(?i:skip|todo)"#, options: .regularExpression) {
            directive = description[hash].dropFirst().trimmingCharacters(in: .whitespaces) + description[hash.upperBound...]
            description = String(description[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces)
        }
        let upper = directive?.uppercased() ?? ""
        let outcome: TAPTest.Outcome
        if upper.hasPrefix("SKIP") {
            outcome = .skipped
        } else if upper.hasPrefix("TODO") {
            outcome = passed ? .passed : .skipped
        } else {
            outcome = passed ? .passed : .failed
        }
        return TAPTest(
            number: number, description: description.replacingOccurrences(of: "\\#", with: "#"), outcome: outcome,
            directive: directive.map { $0.trimmingCharacters(in: .whitespaces) }, diagnostics: "")
    }
}

/// TAP read line by line as a program prints it, so the whole stream counts however long it is
/// (only the text kept for the report is capped). Diagnostics that follow a test, a YAML block or
/// `#` comment lines (pgTAP's `# Failed test` / `#   have:` / `#   want:`), belong to that test.
public struct TAPStream: Sendable {
    /// Diagnostics kept per test.
    static let diagnosticsLimit = 8 * 1024

    private var current = TAPDocument(plannedCount: nil, skipAllReason: nil, tests: [], bailOut: nil)
    private var inYAML = false
    private var sawTAP = false

    /// An empty stream.
    public init() {}

    /// The document so far, or nil while nothing of it was TAP.
    public var document: TAPDocument? { sawTAP ? current : nil }

    /// Reads one line (without its newline).
    public mutating func consume(_ line: String) {
        if inYAML {
            if line.trimmingCharacters(in: .whitespaces) == "..." {
                inYAML = false
            } else {
                appendDiagnostic(line.trimmingPrefix(2))
            }
            return
        }
        if line.hasPrefix("  ---"), !current.tests.isEmpty {
            inYAML = true
            return
        }
        if line.hasPrefix("TAP version") {
            sawTAP = true
        } else if let plan = TAPParser.parsePlan(line) {
            sawTAP = true
            current.plannedCount = plan.count
            current.skipAllReason = plan.skipReason
        } else if line.hasPrefix("Bail out!") {
            sawTAP = true
            current.bailOut = line.dropFirst("Bail out!".count).trimmingCharacters(in: .whitespaces)
        } else if let test = TAPParser.parseTest(line, next: current.tests.count + 1) {
            sawTAP = true
            current.tests.append(test)
        } else if line.hasPrefix("#") {
            var text = line.dropFirst()
            if text.first == " " { text = text.dropFirst() }
            appendDiagnostic(String(text))
        }
    }

    private mutating func appendDiagnostic(_ text: String) {
        guard !current.tests.isEmpty else { return }
        let index = current.tests.count - 1
        guard current.tests[index].diagnostics.utf8.count < Self.diagnosticsLimit else { return }
        current.tests[index].diagnostics += text + "\n"
    }
}

extension String {
    fileprivate func trimmingPrefix(_ count: Int) -> String {
        String(drop { $0 == " " }.isEmpty ? "" : dropFirst(Swift.min(count, prefix { $0 == " " }.count)))
    }
}
