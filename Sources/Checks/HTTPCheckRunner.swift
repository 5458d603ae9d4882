import DrillSupport
import Foundation
import HTTPClient

/// Runs an `http` check: renders the request from drill variables, sends it, and compares the
/// response with every expectation given.
enum HTTPCheckRunner {
    /// Body bytes kept for matching and for the report.
    static let bodyLimit = 1 << 20
    /// Body text shown in the report.
    static let shownBody = 2048

    static func run(_ check: CheckDefinition, spec: HTTPCheck, context: CheckContext) async -> (CheckStatus, String, String) {
        let request: HTTPRequest
        do {
            request = try render(spec, variables: context.variables, timeout: check.timeout)
        } catch {
            return (.error, "cannot build the request: \(error)", "")
        }
        let response: HTTPResponse
        do {
            response = try await HTTPClient.send(request, bodyLimit: bodyLimit)
        } catch {
            return (.error, error.message, "")
        }
        let observed = describe(request, response)
        if let problem = judge(spec.expectation, response) { return (.failed, problem, observed) }
        return (.passed, "", observed)
    }

    static func render(_ spec: HTTPCheck, variables: [String: String], timeout: Duration) throws -> HTTPRequest {
        var headers = try spec.headers.map { (name: $0.name, value: try $0.value.render(variables)) }
        if let basic = spec.basicAuth {
            let pair = try basic.user.render(variables) + ":" + basic.password.render(variables)
            let encoded = Data(pair.utf8).base64EncodedString()
            SecretMasker.shared.register(encoded)
            headers.append((name: "Authorization", value: "Basic " + encoded))
        }
        return HTTPRequest(
            method: spec.method, url: try spec.url.render(variables), headers: headers,
            body: try spec.body.map { Data(try $0.render(variables).utf8) }, timeout: timeout, caBundle: spec.caBundle,
            followRedirects: spec.followRedirects)
    }

    /// The first expectation the response does not meet, or nil.
    static func judge(_ expectation: HTTPCheck.Expectation, _ response: HTTPResponse) -> String? {
        if !expectation.statuses.contains(response.status) {
            let wanted = expectation.statuses.map(String.init).joined(separator: " or ")
            return "status \(response.status), expected \(wanted)\(snippet(response))"
        }
        if let limit = expectation.latency, response.totalTime > limit {
            return "took \(DrillDuration.format(response.totalTime)), more than the \(DrillDuration.format(limit)) allowed"
        }
        if let pattern = expectation.bodyMatches, response.text.range(of: pattern, options: .regularExpression) == nil {
            return "the body does not match /\(pattern)/\(snippet(response))"
        }
        if let json = expectation.json {
            guard let document = JSONValue.parse(response.body) else { return "the body is not JSON\(snippet(response))" }
            guard let value = document.value(at: json.path), value != .null else { return "the JSON body has no value at \(json.path)\(snippet(response))" }
            if let equals = json.equals, value.text != equals { return "\(json.path) is '\(value.text)', expected '\(equals)'" }
            if let pattern = json.matches, value.text.range(of: pattern, options: .regularExpression) == nil {
                return "\(json.path) is '\(value.text)', which does not match /\(pattern)/"
            }
        }
        return nil
    }

    static func snippet(_ response: HTTPResponse) -> String {
        let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return "" }
        return ": " + (text.count > 200 ? String(text.prefix(200)) + "…" : text)
    }

    static func describe(_ request: HTTPRequest, _ response: HTTPResponse) -> String {
        var lines = ["\(request.method) \(request.url) → \(response.status) in \(DrillDuration.format(response.totalTime)), \(response.bodyBytes) byte(s)"]
        if let type = response.header("Content-Type") { lines.append("Content-Type: \(type)") }
        let body = response.text
        if !body.isEmpty { lines.append(body.count > shownBody ? String(body.prefix(shownBody)) + "\n[body cut at \(shownBody) characters]" : body) }
        return lines.joined(separator: "\n")
    }
}
