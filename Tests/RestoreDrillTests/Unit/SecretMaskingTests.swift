import DrillSupport
import Foundation
import Testing

@Suite("Secrets never printed")
struct SecretMaskingTests {
    @Test func masksRegisteredSecrets() {
        let masker = SecretMasker()
        masker.register("hunter2-very-secret")
        #expect(masker.mask("password is hunter2-very-secret!") == "password is ****!")
    }

    /// A roles file's verifiers (and a hand-written one's plain passwords) come back in psql's
    /// errors and the server log's STATEMENT lines.
    @Test func sqlPasswordLiteralsAreMaskedUnregistered() {
        let masker = SecretMasker()
        let statement = "STATEMENT:  ALTER ROLE app WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:cwwx0A==$zkoP:65iF';"
        #expect(masker.mask(statement) == "STATEMENT:  ALTER ROLE app WITH LOGIN PASSWORD '****';")
        #expect(masker.mask("CREATE ROLE x ENCRYPTED password 'it''s plain' VALID UNTIL 'infinity'") == "CREATE ROLE x ENCRYPTED password '****' VALID UNTIL 'infinity'")
        #expect(masker.mask("the password must be reset") == "the password must be reset")
    }

    @Test func aSecretTooShortToMaskIsRefusedWhereItIsResolved() async {
        let masker = SecretMasker()
        masker.register("7")
        #expect(masker.mask("{\"rto\": 17.5, \"exit_code\": 7}") == "{\"rto\": 17.5, \"exit_code\": 7}")
        await #expect {
            try await SecretReference.command("printf 'on'").resolve(masker: masker)
        } throws: { error in
            "\(error)".contains("under 4 characters cannot be masked")
        }
    }

    @Test func aSecretWithQuotesOrBackslashesIsMaskedInJSON() throws {
        let masker = SecretMasker()
        let secret = #"pa"ss\wo"rd"#
        masker.register(secret)
        let json = String(decoding: try JSONEncoder().encode(["message": "login with \(secret) failed", "n": "12"]), as: UTF8.self)
        let masked = masker.maskJSONStrings(json)
        #expect(!masked.contains("ss\\\\wo"), "\(masked)")
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(masked.utf8))
        #expect(decoded == ["message": "login with **** failed", "n": "12"])
    }

    @Test func everyLineOfAMultiLineSecretIsMasked() {
        let masker = SecretMasker()
        masker.register("-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----")
        #expect(masker.mask("a tool printed MIIEvQIBADANBg alone") == "a tool printed **** alone")
    }

    /// 64 KiB of hex with no separator took 14 s with the old scheme regex; the scan reads it once.
    @Test func urlCredentialsAreFoundInLongRunsWithoutSeparators() {
        let masker = SecretMasker()
        let hex = String(repeating: "0123456789abcdef", count: 4096)
        #expect(masker.mask(hex + "s3://AKIA:wJalr@bucket " + hex) == hex + "s3://AKIA:****@bucket " + hex)
        #expect(masker.mask("x://:p@h, a:b@c, http://u@h/p:q@r") == "x://:****@h, a:b@c, http://u@h/p:q@r")
    }

    @Test(arguments: [
        ("postgres://app:s3cr3t@db.internal:5432/app", "postgres://app:****@db.internal:5432/app"),
        ("host=db password=s3cr3t user=app", "host=db password=**** user=app"),
        ("https://AKIA:abc%2Fdef@s3.example.com/bucket", "https://AKIA:****@s3.example.com/bucket"),
    ])
    func masksCredentialsInDSNsAndURLs(input: String, expected: String) {
        #expect(SecretMasker().mask(input) == expected)
    }

    @Test func parsesReferences() {
        #expect(SecretReference.parse("env:APP_PW") == .environment("APP_PW"))
        #expect(SecretReference.parse("file:/run/secrets/pw") == .file("/run/secrets/pw"))
        #expect(SecretReference.parse("command:vault kv get -field=pw secret/app") == .command("vault kv get -field=pw secret/app"))
        #expect(SecretReference.parse("plain-value") == nil)
        #expect(SecretReference.parse("env:") == nil)
    }

    @Test func resolvesACommandReferenceAndRegistersIt() async throws {
        let masker = SecretMasker()
        let value = try await SecretReference.command("printf 'from-a-vault-cli\\n'").resolve(masker: masker)
        #expect(value == "from-a-vault-cli")
        #expect(masker.mask("got from-a-vault-cli") == "got ****")
    }

    @Test func aMissingEnvironmentVariableNamesTheReferenceNotAValue() async {
        await #expect {
            try await SecretReference.environment("RESTORE_DRILL_TEST_UNSET_VARIABLE").resolve(masker: SecretMasker())
        } throws: { error in
            "\(error)".contains("env:RESTORE_DRILL_TEST_UNSET_VARIABLE is not set") || "\(error)".contains("RESTORE_DRILL_TEST_UNSET_VARIABLE is not set")
        }
    }
}
