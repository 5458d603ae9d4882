import DrillSupport
import Foundation
import HTTPClient
import Reports

/// Sends the drill's heartbeat once its verdict is known. A ping that cannot be sent is
/// reported as a skipped case and a warning, never turns a passing drill red, and never shows
/// the URL (it is resolved from its reference, which registers it with the masker).
enum Heartbeat {
    static let suiteName = "notify"

    static func send(_ section: NotifySection, passed: Bool) async -> ReportSuite {
        let start = ContinuousClock.now
        let which = passed ? "success" : "failure"
        let name = "\(which) heartbeat sent"
        let key = passed ? "notify.on_success" : "notify.on_failure"
        var suite = ReportSuite(name: suiteName, kind: .phase)
        guard let reference = passed ? section.onSuccess : section.onFailure else {
            suite.cases.append(ReportCase(name: name, status: .skipped, message: "\(key) is not set"))
            return suite
        }
        let problem: String?
        do throws(SecretError) {
            let url = try await reference.resolve()
            problem = await ping(url, timeout: section.timeout)
        } catch {
            problem = "\(key) (\(reference)) does not resolve: \(error)"
        }
        let seconds = (ContinuousClock.now - start).seconds
        if let problem {
            let message = SecretMasker.shared.mask("the \(which) heartbeat could not be sent (\(problem)); the drill's verdict stands")
            FileHandle.standardError.write(Data("restore-drill: warning: \(message)\n".utf8))
            suite.cases.append(ReportCase(name: name, status: .skipped, seconds: seconds, message: message))
        } else {
            suite.cases.append(ReportCase(name: name, status: .passed, seconds: seconds, output: "\(key) (\(reference)) answered"))
        }
        suite.seconds = seconds
        return suite
    }

    /// One GET, retried once; nil when the URL answered 2xx, else why not (masked by the caller).
    static func ping(_ url: String, timeout: Duration) async -> String? {
        var last = "no attempt"
        for attempt in 1...2 {
            do throws(HTTPError) {
                let response = try await HTTPClient.send(HTTPRequest(url: url, timeout: timeout), bodyLimit: 16 * 1024)
                if (200..<300).contains(response.status) { return nil }
                last = "answered \(response.status)"
            } catch {
                last = error.message
            }
            if attempt == 1 { try? await Task.sleep(for: .milliseconds(500)) }
        }
        return last
    }
}
