import COpenSSL
import Foundation

/// Ed25519 signatures through OpenSSL, over the raw message (what `openssl pkeyutl -sign
/// -rawin` makes and `openssl pkeyutl -verify -rawin` checks), so a signed evidence bundle is
/// checked with OpenSSL alone.
public enum Ed25519Signing {
    /// A key that cannot be used.
    public struct KeyError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Signs `message` with the Ed25519 private key in `privateKeyPEM` (PKCS #8, as
    /// `openssl genpkey -algorithm ed25519` writes it). Returns the 64-byte signature.
    public static func sign(_ message: Data, privateKeyPEM: String) throws(KeyError) -> Data {
        let key = try privateKey(privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { throw KeyError(description: "OpenSSL could not start a signature") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else { throw KeyError(description: "OpenSSL refused the key for signing") }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        let signed = message.withUnsafeBytes { bytes in
            EVP_DigestSign(context, &signature, &length, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        guard signed == 1 else { throw KeyError(description: "OpenSSL could not sign") }
        return Data(signature.prefix(length))
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by `publicKeyPEM`.
    public static func verify(_ message: Data, signature: Data, publicKeyPEM: String) throws(KeyError) -> Bool {
        let key = try publicKey(publicKeyPEM)
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { throw KeyError(description: "OpenSSL could not start a verification") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { throw KeyError(description: "OpenSSL refused the public key") }
        let result = signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { bytes in
                EVP_DigestVerify(
                    context, sig.baseAddress?.assumingMemoryBound(to: UInt8.self), sig.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    bytes.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    /// The public half of a private key, as PEM (SubjectPublicKeyInfo).
    public static func publicKeyPEM(ofPrivateKey privateKeyPEM: String) throws(KeyError) -> String {
        let key = try privateKey(privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        return pem(try der(key))
    }

    /// `SHA256:` and the hex SHA-256 of the public key's DER form (what `openssl pkey -pubin
    /// -outform DER | sha256sum` prints), to name a key in a report.
    public static func fingerprint(publicKeyPEM: String) throws(KeyError) -> String {
        let key = try publicKey(publicKeyPEM)
        defer { EVP_PKEY_free(key) }
        var digest = StreamingDigest()
        digest.update(try der(key))
        return "SHA256:" + digest.finalizeHex()
    }

    private static func privateKey(_ pem: String) throws(KeyError) -> OpaquePointer {
        try ed25519Key(
            pem, parse: { PEM_read_bio_PrivateKey($0, nil, nil, nil) },
            notPEM: "not a PEM private key (make one with: openssl genpkey -algorithm ed25519 -out signing.pem)",
            notEd25519: "the signing key is not an Ed25519 key (make one with: openssl genpkey -algorithm ed25519 -out signing.pem)")
    }

    private static func publicKey(_ pem: String) throws(KeyError) -> OpaquePointer {
        try ed25519Key(
            pem, parse: { PEM_read_bio_PUBKEY($0, nil, nil, nil) }, notPEM: "not a PEM public key (openssl pkey -in signing.pem -pubout writes one)",
            notEd25519: "the public key is not an Ed25519 key")
    }

    /// Parses `pem` with `parse` and requires an Ed25519 key; the caller frees it.
    private static func ed25519Key(
        _ pem: String, parse: (OpaquePointer) -> OpaquePointer?, notPEM: String, notEd25519: String
    ) throws(KeyError) -> OpaquePointer {
        guard let key = read(pem, parse) else {
            ERR_clear_error()
            throw KeyError(description: notPEM)
        }
        guard EVP_PKEY_is_a(key, "ED25519") == 1 else {
            EVP_PKEY_free(key)
            throw KeyError(description: notEd25519)
        }
        return key
    }

    private static func read(_ pem: String, _ parse: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        let bytes = Array(pem.utf8)
        return bytes.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return parse(bio)
        }
    }

    private static func der(_ key: OpaquePointer) throws(KeyError) -> Data {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { throw KeyError(description: "OpenSSL could not encode the public key") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { throw KeyError(description: "OpenSSL could not encode the public key") }
        return Data(bytes)
    }

    private static func pem(_ der: Data) -> String {
        let base64 = der.base64EncodedString()
        var lines: [String] = ["-----BEGIN PUBLIC KEY-----"]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END PUBLIC KEY-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
