import DrillSupport
import Testing

@Suite("Secrets never printed")
struct SecretMaskingTests {
    @Test func masksRegisteredSecrets() {
        let masker = SecretMasker()
        masker.register("hunter2-very-secret")
        #expect(masker.mask("password is hunter2-very-secret!") == "password is ****!")
    }

    @Test func masksShortSecretsOnlyAsWholeWords() {
        let masker = SecretMasker()
        masker.register("on")
        #expect(masker.mask("connection on host") == "connection **** host")
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
