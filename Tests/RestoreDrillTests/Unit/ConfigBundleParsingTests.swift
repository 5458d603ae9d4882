import ConfigBundles
import Foundation
import Testing

@Suite("Configuration bundles: parsing and rules")
struct ConfigBundleParsingTests {
    @Test func dotenvTakesExportsQuotesAndCommentsAndNamesTheBadLineOnly() throws {
        let values = try ConfigParsing.parse(
            "# c\nexport A=1\nB = \"two\\nlines\" \nC='x # not a comment'\nD=bare # comment\nE=\n", format: .dotenv)
        #expect(values.names == ["A", "B", "C", "D", "E"])
        #expect(values.value("B") == "two\nlines" && values.value("C") == "x # not a comment" && values.value("D") == "bare" && values.value("E") == "")
        #expect(throws: ConfigParseError.self) { try ConfigParsing.parse("A=1\nsecret-value-without-key\n", format: .dotenv) }
        do {
            _ = try ConfigParsing.parse("A=1\nsecret-value-without-key\n", format: .dotenv)
        } catch {
            #expect(error.message == "line 2 is not KEY=VALUE")
        }
    }

    @Test func jsonAndYamlFlattenToDottedNamesAndAYamlErrorQuotesNoText() throws {
        let json = try ConfigParsing.parse(#"{"db": {"password": "p", "hosts": ["a", "b"]}, "debug": false}"#, format: .json)
        #expect(Set(json.names) == ["db.password", "db.hosts.0", "db.hosts.1", "debug"])
        let yaml = try ConfigParsing.parse("db:\n  password: p\n  port: 5432\nempty: ~\n", format: .yaml)
        #expect(yaml.names == ["db.password", "db.port", "empty"] && yaml.value("empty") == "")
        do {
            _ = try ConfigParsing.parse("db:\n  password: \"hunter2-unclosed\n  other: x\n", format: .yaml)
            Issue.record("a broken YAML bundle parsed")
        } catch {
            #expect(!error.message.contains("hunter2"), "\(error.message)")
            #expect(error.message.hasPrefix("not valid YAML (line"), "\(error.message)")
        }
    }

    @Test func requiredKeysTakeGlobsAndFingerprintsCatchASwappedValue() throws {
        let values = ConfigValues(entries: [("SMTP_HOST", "h"), ("SMTP_PASSWORD", " "), ("A", "1"), ("B", "2")])
        let (missing, empty) = ConfigRules.requiredKeys(values, ["SMTP_*", "SENTRY_*", "A"])
        #expect(missing == ["SENTRY_*"] && empty == ["SMTP_PASSWORD"])
        let recorded = ConfigRules.fingerprints(values, key: "k")
        let swapped = ConfigValues(entries: [("SMTP_HOST", "h"), ("SMTP_PASSWORD", " "), ("A", "2"), ("B", "1")])
        let (changed, gone) = ConfigRules.compare(recorded: recorded, current: ConfigRules.fingerprints(swapped, key: "k"))
        #expect(changed == ["A", "B"] && gone.isEmpty)
        #expect(ConfigRules.compare(recorded: recorded, current: ConfigRules.fingerprints(values, key: "other")).changed.count == 4)
    }
}
