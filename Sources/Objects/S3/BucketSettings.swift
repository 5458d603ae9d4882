import Foundation

/// What a bucket says about how it keeps objects, as its configuration subresources answer
/// (`?versioning`, `?lifecycle`, `?encryption`, `?publicAccessBlock`, `?policy`,
/// `?object-lock`). Each is read on its own: one the credentials may not read is `refused`
/// with the S3 action it needs, never taken for "not set".
public struct BucketSettings: Sendable {
    /// One subresource's answer.
    public enum Reading<Value: Sendable>: Sendable {
        case value(Value)
        /// The bucket has none (`NoSuchLifecycleConfiguration`, ...).
        case notSet
        /// 403: the credentials may not read it; the action they need.
        case refused(action: String, message: String)
        /// Any other failure.
        case failed(String)
    }

    public struct Versioning: Sendable, Equatable {
        /// `Enabled`, `Suspended`, or nil (never enabled).
        public var status: String?
        public var mfaDelete: String?
    }

    public struct LifecycleRule: Sendable, Equatable {
        public var id: String
        public var enabled: Bool
        /// The key prefix the rule applies to ("" for the whole bucket).
        public var prefix: String
        /// Whether the filter also names tags or sizes (the rule may apply to fewer objects).
        public var narrowed: Bool
        public var expirationDays: Int?
        public var expirationDate: String?
        public var noncurrentDays: Int?

        public init(id: String, enabled: Bool, prefix: String, narrowed: Bool, expirationDays: Int?, expirationDate: String?, noncurrentDays: Int?) {
            self.id = id
            self.enabled = enabled
            self.prefix = prefix
            self.narrowed = narrowed
            self.expirationDays = expirationDays
            self.expirationDate = expirationDate
            self.noncurrentDays = noncurrentDays
        }
    }

    public struct Encryption: Sendable, Equatable {
        /// `AES256`, `aws:kms`, `aws:kms:dsse`.
        public var algorithm: String
        public var kmsKey: String?
    }

    public struct PublicAccessBlock: Sendable, Equatable {
        public var blockPublicAcls: Bool
        public var ignorePublicAcls: Bool
        public var blockPublicPolicy: Bool
        public var restrictPublicBuckets: Bool
        public var all: Bool { blockPublicAcls && ignorePublicAcls && blockPublicPolicy && restrictPublicBuckets }
    }

    public struct ObjectLock: Sendable, Equatable {
        public var enabled: Bool
        public var mode: String?
        public var days: Int?
        public var years: Int?
    }

    public var versioning: Reading<Versioning>
    public var lifecycle: Reading<[LifecycleRule]>
    public var encryption: Reading<[Encryption]>
    public var publicAccessBlock: Reading<PublicAccessBlock>
    /// The bucket policy's JSON text.
    public var policy: Reading<String>
    public var objectLock: Reading<ObjectLock>

    static func versioning(_ data: Data) -> Versioning? {
        // moto answers with a GetBucketVersioningResponse root; S3 with VersioningConfiguration.
        guard let root = XMLNode.parse(data), root.name == "VersioningConfiguration" || root.name == "GetBucketVersioningResponse" else { return nil }
        return Versioning(status: root.value("Status"), mfaDelete: root.value("MfaDelete") ?? root.value("MFADelete"))
    }

    static func lifecycle(_ data: Data) -> [LifecycleRule]? {
        guard let root = XMLNode.parse(data), root.name == "LifecycleConfiguration" else { return nil }
        return root.all("Rule").map { rule in
            let filter = rule.child("Filter")
            let and = filter?.child("And")
            let prefix = rule.value("Prefix") ?? filter?.value("Prefix") ?? and?.value("Prefix") ?? ""
            let narrowed = filter?.child("Tag") != nil || and?.child("Tag") != nil || filter?.child("ObjectSizeGreaterThan") != nil
                || and?.child("ObjectSizeGreaterThan") != nil || filter?.child("ObjectSizeLessThan") != nil || and?.child("ObjectSizeLessThan") != nil
            let expiration = rule.child("Expiration")
            return LifecycleRule(
                id: rule.value("ID") ?? "(no ID)", enabled: rule.value("Status") == "Enabled", prefix: prefix, narrowed: narrowed,
                expirationDays: expiration?.value("Days").flatMap { Int($0) }, expirationDate: expiration?.value("Date"),
                noncurrentDays: rule.child("NoncurrentVersionExpiration")?.value("NoncurrentDays").flatMap { Int($0) })
        }
    }

    static func encryption(_ data: Data) -> [Encryption]? {
        guard let root = XMLNode.parse(data), root.name == "ServerSideEncryptionConfiguration" else { return nil }
        return root.all("Rule").compactMap { rule in
            guard let apply = rule.child("ApplyServerSideEncryptionByDefault"), let algorithm = apply.value("SSEAlgorithm") else { return nil }
            return Encryption(algorithm: algorithm, kmsKey: apply.value("KMSMasterKeyID"))
        }
    }

    static func publicAccessBlock(_ data: Data) -> PublicAccessBlock? {
        guard let root = XMLNode.parse(data), root.name == "PublicAccessBlockConfiguration" else { return nil }
        let flag = { (name: String) in root.value(name)?.lowercased() == "true" }
        return PublicAccessBlock(
            blockPublicAcls: flag("BlockPublicAcls"), ignorePublicAcls: flag("IgnorePublicAcls"), blockPublicPolicy: flag("BlockPublicPolicy"),
            restrictPublicBuckets: flag("RestrictPublicBuckets"))
    }

    static func objectLock(_ data: Data) -> ObjectLock? {
        guard let root = XMLNode.parse(data), root.name == "ObjectLockConfiguration" else { return nil }
        let retention = root.child("Rule")?.child("DefaultRetention")
        return ObjectLock(
            enabled: root.value("ObjectLockEnabled") == "Enabled", mode: retention?.value("Mode"), days: retention?.value("Days").flatMap { Int($0) },
            years: retention?.value("Years").flatMap { Int($0) })
    }
}
