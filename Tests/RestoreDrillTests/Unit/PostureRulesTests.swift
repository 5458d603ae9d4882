@testable import Drill
import Foundation
import Objects
import Testing

@Suite("Posture rules")
struct PostureRulesTests {
    static func rules(retention days: Int, age: Int? = nil) -> PostureRules {
        let bucket = PostureSection.Bucket(roles: ["backup", "wal_archive"], bucketURL: "s3://pg", prefixes: ["base/", "wal/"], settings: S3Settings())
        let section = PostureSection(retention: .seconds(days * 86_400), buckets: [bucket], encryption: nil, kmsKey: nil, writeProbe: false)
        return PostureRules(bucket: bucket, section: section, backupAge: age.map { .seconds($0 * 86_400) })
    }

    static func rule(_ id: String, prefix: String, days: Int?, noncurrent: Int? = nil) -> BucketSettings.LifecycleRule {
        .init(id: id, enabled: true, prefix: prefix, narrowed: false, expirationDays: days, expirationDate: nil, noncurrentDays: noncurrent)
    }

    @Test func aRuleMustAlsoKeepTheBackupWALReplayDependsOn() {
        let lifecycle = BucketSettings.Reading.value([Self.rule("thirty", prefix: "", days: 30)])
        #expect(Self.rules(retention: 14).lifecycle(lifecycle).status == .passed)
        // The drilled base backup is 40 days old: a 30-day rule would take it while its WAL is kept.
        let old = Self.rules(retention: 14, age: 40).lifecycle(lifecycle)
        #expect(old.status == .failed)
        #expect(old.message?.contains("kept at least 40 days (the drilled backup is 40 days old and WAL replay depends on it)") == true, "\(old)")
    }

    @Test func rulesOnOtherPrefixesAreIgnoredAndNoncurrentVersionsCount() {
        let lifecycle = BucketSettings.Reading.value([Self.rule("logs", prefix: "logs/", days: 1), Self.rule("wal", prefix: "wal/", days: nil, noncurrent: 3)])
        let judged = Self.rules(retention: 7).lifecycle(lifecycle)
        #expect(judged.status == .failed)
        #expect(judged.message?.hasPrefix("rule wal expires noncurrent versions after 3 days") == true, "\(judged)")
        #expect((judged.output ?? "").contains("ignored: logs (prefix logs/, not the drill's)"))
        #expect(judged.name == "backup, wal_archive bucket s3://pg: lifecycle rules keep backups for 7 days")
    }

    @Test func aPolicyIsPublicWhenItAllowsEveryoneWithoutACondition() {
        let open = #"{"Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject", "s3:ListBucket"]}]}"#
        #expect(PostureRules.publicStatements(open) == ["statement Open (s3:GetObject, s3:ListBucket)"])
        let conditioned = #"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}}"#
        #expect(PostureRules.publicStatements(conditioned).isEmpty)
        #expect(PostureRules.publicStatements(#"{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}"#).isEmpty)
        #expect(PostureRules.publicStatements("not json") == ["a policy this drill cannot read"])
    }

    @Test func aKMSKeyMatchesByARNIdOrAlias() {
        let arn = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab"
        #expect(PostureRules.sameKey(arn, "1234abcd-12ab") && PostureRules.sameKey(arn, "key/1234abcd-12ab") && PostureRules.sameKey(arn, arn))
        #expect(!PostureRules.sameKey(arn, "other-key") && !PostureRules.sameKey(nil, "1234abcd-12ab"))
        #expect(PostureRules.sameKey("arn:aws:kms:eu-central-1:123456789012:alias/backups", "alias/backups"))
    }
}
