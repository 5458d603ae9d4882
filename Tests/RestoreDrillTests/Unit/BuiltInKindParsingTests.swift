@testable import Checks
@testable import Drill
import DrillSupport
import Foundation
import HTTPClient
import Testing

@Suite("Templates, JSON paths and the login/import/http/services syntax")
struct BuiltInKindParsingTests {
    func load(_ text: String) throws -> [CheckDefinition] {
        let path = NSTemporaryDirectory() + "rdtest-kind-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CheckLoader.loadFile(path: path, pack: "unit")
    }

    @Test func templatesRenderAndEncodeForWhereTheyGo() throws {
        let template = try VariableTemplate(#"{"u": "${user|json}", "q": "${q|url}", "raw": "${user}", "cost": "$5", "lit": "$${x}"}"#)
        #expect(template.names == ["user", "q", "user"])
        let text = try template.render(["user": #"a"b\c"#, "q": "a b+c&d/é"])
        #expect(text == #"{"u": "a\"b\\c", "q": "a%20b%2Bc%26d%2F%C3%A9", "raw": "a"b\c", "cost": "$5", "lit": "${x}"}"#)
        #expect(throws: TemplateError.self) { try VariableTemplate("${unclosed") }
        #expect(throws: TemplateError.self) { try VariableTemplate("${x|base64}") }
        #expect {
            try VariableTemplate("${missing}").render([:])
        } throws: { "\($0)" == "the variable 'missing' is not defined" }
    }

    @Test func anEncodedSecretIsMaskedToo() throws {
        let secret = "p\"ss+w0rd-\(UUID().uuidString.prefix(4))"
        SecretMasker.shared.register(secret)
        let body = try VariableTemplate(#"{"password": "${pw|json}"}"#).render(["pw": secret])
        #expect(SecretMasker.shared.mask(body) == #"{"password": "****"}"#)
    }

    @Test func jsonPathsFindNestedValues() throws {
        let document = try #require(JSONValue.parse(Data(#"{"session": {"token": "abc", "ttl": 3600, "ok": true}, "items": [{"id": 7}, {"id": null}]}"#.utf8)))
        #expect(document.value(at: "session.token")?.text == "abc")
        #expect(document.value(at: "$.session.ttl")?.text == "3600")
        #expect(document.value(at: "session.ok")?.text == "true")
        #expect(document.value(at: "items[0].id")?.text == "7")
        #expect(document.value(at: "items[1].id") == .null)
        #expect(document.value(at: "items[5].id") == nil)
        #expect(document.value(at: "session.missing") == nil)
        #expect(JSONValue.parse(Data("<html>".utf8)) == nil)
    }

    @Test func httpChecksParseWithTheirDefaults() throws {
        let checks = try load(
            """
            id: web.login
            kind: http
            method: post
            url: ${service.app.url}/login
            headers: {Content-Type: application/json, X-Trace: "${trace}"}
            body: '{"p": "${pw|json}"}'
            expect: {status: [200, 201], json: {path: token, matches: '.+'}, latency: 2s}
            """)
        guard case .http(let spec) = checks[0].kind else { Issue.record("not http"); return }
        #expect(spec.method == "POST")
        #expect(spec.expectation.statuses == [200, 201])
        #expect(spec.expectation.latency == .seconds(2))
        #expect(Set(checks[0].kind.variableNames) == ["service.app.url", "trace", "pw"])
        let plain = try load("id: web.health\nkind: http\nurl: http://127.0.0.1:1/health\nexpect: {}\n")
        guard case .http(let health) = plain[0].kind else { return }
        #expect(health.method == "GET" && health.expectation.statuses == [200])
        #expect {
            try load("id: w\nkind: http\nurl: http://x\nexpect: {body_matches: '('}\n")
        } throws: { "\($0)".contains("is not a valid regular expression") }
    }

    @Test func loginPasswordsMustComeFromVariables() throws {
        #expect {
            try load("id: l\nkind: login\nrole: {name: app, password: hunter2}\n")
        } throws: { "\($0)".contains("a login password must come from a drill variable") }
        #expect {
            try load("id: l\nkind: login\n")
        } throws: { "\($0)".contains("a login check needs role:") }
        #expect {
            try load("id: l\nkind: login\napp_user: {table: users, match: {email: x}, hash_column: h, password: '${p}'}\n")
        } throws: { "\($0)".contains("must be schema-qualified") }
        let parsed = try load("id: l\nkind: login\nrole: {name: '${role}', password: '${pw}'}\n")
        #expect(parsed[0].kind.variableNames == ["role", "pw"])
    }

    @Test func importsNeedOneSource() throws {
        #expect {
            try load("id: i\nkind: import\ntable: app.t\n")
        } throws: { "\($0)".contains("csv: FILE or csv_from") }
        #expect {
            try load("id: i\nkind: import\ntable: app.t\ncsv: a.csv\ncsv_from: {run: ./gen}\n")
        } throws: { "\($0)".contains("give csv or csv_from, not both") }
        let parsed = try load("id: i\nkind: import\ntable: app.t\ncsv: data/a.csv\nheader: false\nexpect: {rows: {min: 2}}\n")
        guard case .importRows(let spec) = parsed[0].kind, case .file(let path) = spec.source else { Issue.record("not import"); return }
        #expect(path.hasSuffix("/data/a.csv") && path.hasPrefix("/"))
        #expect(spec.header == false && spec.rows?.min == 2)
    }

    @Test func servicesParseAndRefuseMistakes() throws {
        let root = try YAMLValue.parse(
            """
            - name: app
              run: ./app.py
              env: {SECRET: "${app_secret}"}
              ready: {url: /health}
            - name: worker
              run: worker
              ready: {command: [pg_isready, -q]}
              start_timeout: 5s
              port: 9000
            """, file: "/drills/drill.yaml")
        let services = try ServiceParsing.parse(root, baseDirectory: "/drills")
        #expect(services.map(\.name) == ["app", "worker"])
        #expect(services[0].program == "/drills/app.py")
        #expect(services[0].variableNames == ["app_secret"])
        #expect(services[1].port == 9000 && services[1].startTimeout == .seconds(5))
        guard case .command(let program, let arguments) = services[1].readiness else { Issue.record("not a command"); return }
        #expect(program == "pg_isready" && arguments == ["-q"])
        #expect {
            try ServiceParsing.parse(try YAMLValue.parse("- {name: app, run: x}\n", file: "d.yaml"), baseDirectory: ".")
        } throws: { "\($0)".contains("'ready' is required") }
        #expect {
            try ServiceParsing.parse(try YAMLValue.parse("- {name: a, run: x, ready: {url: /}}\n- {name: a, run: y, ready: {url: /}}\n", file: "d.yaml"), baseDirectory: ".")
        } throws: { "\($0)".contains("a second service named 'a'") }
    }

    @Test func transportFailuresAreTypedErrors() async throws {
        // A port we hold bound but do not listen on refuses connections, and no
        // other test can start listening on it meanwhile (a released port could be).
        let refusing = try SilentListener(listening: false)
        defer { refusing.close() }
        let closed = try await #require(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: "http://127.0.0.1:\(refusing.port)/", timeout: .seconds(5)))
        }
        #expect(closed.code == .connect)
        #expect(closed.isTransient)
        // A listener that never answers: the time limit ends it.
        let listener = try SilentListener()
        defer { listener.close() }
        let start = ContinuousClock.now
        let silent = try await #require(throws: HTTPError.self) {
            try await HTTPClient.send(HTTPRequest(url: "http://127.0.0.1:\(listener.port)/", timeout: .milliseconds(500)))
        }
        #expect(silent.code == .timeout)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}

/// A TCP socket on 127.0.0.1 that accepts connections (the kernel backlog does) and never answers;
/// or, not listening, a port held so that connecting to it is refused.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: Int

    init(listening: Bool = true) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, !listening || listen(descriptor, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(descriptor) }
}
