import DrillSupport
import Foundation

/// Writes the report as JUnit XML in the shape GitHub, GitLab and Jenkins read (validated
/// against the Jenkins xUnit `junit-10` schema): one `testsuite` per phase and per check pack.
public enum JUnitWriter {
    /// The XML document.
    public static func render(_ report: DrillReport) -> String {
        let timestamp = ISO8601DateFormatter().string(from: report.startedAt)
        let cases = report.allCases
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"\(XMLText.escape("restore-drill: \(report.drill)"))\""
        xml += " tests=\"\(cases.count)\" failures=\"\(count(cases, .failed))\" errors=\"\(count(cases, .error))\""
        xml += " time=\"\(XMLText.seconds(report.finishedAt.timeIntervalSince(report.startedAt)))\">\n"
        for (index, suite) in report.suites.enumerated() {
            xml += "  <testsuite name=\"\(XMLText.escape(suiteName(suite)))\" tests=\"\(suite.cases.count)\""
            xml += " failures=\"\(count(suite.cases, .failed))\" errors=\"\(count(suite.cases, .error))\""
            xml += " skipped=\"\(count(suite.cases, .skipped))\" time=\"\(XMLText.seconds(suite.seconds))\""
            xml += " timestamp=\"\(timestamp)\" hostname=\"\(XMLText.escape(report.hostname))\" id=\"\(index)\""
            xml += " package=\"restore-drill\">\n"
            if index == 0 { xml += properties(report) }
            for item in suite.cases { xml += testCase(item, suite: suite) }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    static func suiteName(_ suite: ReportSuite) -> String { "restore-drill.\(suite.name)" }

    private static func count(_ cases: [ReportCase], _ status: CaseStatus) -> Int { cases.filter { $0.status == status }.count }

    private static func properties(_ report: DrillReport) -> String {
        var xml = "    <properties>\n"
        for (name, value) in report.properties.sorted(by: { $0.key < $1.key }) {
            xml += "      <property name=\"\(XMLText.escape(name))\" value=\"\(XMLText.escape(value))\"/>\n"
        }
        return xml + "    </properties>\n"
    }

    private static func testCase(_ item: ReportCase, suite: ReportSuite) -> String {
        var xml = "    <testcase name=\"\(XMLText.escape(item.name))\" classname=\"\(XMLText.escape(suiteName(suite)))\""
        xml += " time=\"\(XMLText.seconds(item.seconds))\""
        let message = XMLText.escape(item.message ?? "")
        let body = XMLText.escape(item.detail ?? item.message ?? "")
        switch item.status {
        case .passed:
            guard item.output != nil || item.errorOutput != nil else { return xml + "/>\n" }
            xml += ">\n"
        case .failed: xml += ">\n      <failure message=\"\(message)\" type=\"failure\">\(body)</failure>\n"
        case .error: xml += ">\n      <error message=\"\(message)\" type=\"error\">\(body)</error>\n"
        case .skipped: xml += ">\n      <skipped message=\"\(message)\"/>\n"
        }
        if let output = item.output, !output.isEmpty { xml += "      <system-out>\(XMLText.escape(output))</system-out>\n" }
        if let errors = item.errorOutput, !errors.isEmpty { xml += "      <system-err>\(XMLText.escape(errors))</system-err>\n" }
        return xml + "    </testcase>\n"
    }
}
