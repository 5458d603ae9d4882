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
        var document = TAPDocument(plannedCount: nil, skipAllReason: nil, tests: [], bailOut: nil)
        var inYAML = false
        var sawTAP = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if inYAML {
                if line.trimmingCharacters(in: .whitespaces) == "..." {
                    inYAML = false
                } else if !document.tests.isEmpty {
                    document.tests[document.tests.count - 1].diagnostics += line.trimmingPrefix(2) + "\n"
                }
                continue
            }
            if line.hasPrefix("  ---"), !document.tests.isEmpty {
                inYAML = true
                continue
            }
            if line.hasPrefix("TAP version") {
                sawTAP = true
            } else if let plan = parsePlan(line) {
                sawTAP = true
                document.plannedCount = plan.count
                document.skipAllReason = plan.skipReason
            } else if line.hasPrefix("Bail out!") {
                sawTAP = true
                document.bailOut = line.dropFirst("Bail out!".count).trimmingCharacters(in: .whitespaces)
            } else if let test = parseTest(line, next: document.tests.count + 1) {
                sawTAP = true
                document.tests.append(test)
            }
        }
        return sawTAP ? document : nil
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

extension String {
    fileprivate func trimmingPrefix(_ count: Int) -> String {
        String(drop { $0 == " " }.isEmpty ? "" : dropFirst(Swift.min(count, prefix { $0 == " " }.count)))
    }
}
