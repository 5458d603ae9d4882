import COpenSSL
import Foundation

/// HMAC-SHA256 and one-shot SHA-256 over OpenSSL, for request signing (SigV4).
public enum HMACSHA256 {
    /// HMAC-SHA256 of `message` under `key`.
    public static func authenticate(_ message: some DataProtocol, key: some DataProtocol) -> [UInt8] {
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = keyBytes.withUnsafeBytes { keyBuffer in
            messageBytes.withUnsafeBytes { messageBuffer in
                HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count), messageBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
                     messageBuffer.count, &output, &length)
            }
        }
        return Array(output.prefix(Int(length)))
    }

    /// Lowercase hex SHA-256 of `data`.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        var hasher = StreamingDigest()
        hasher.update(data)
        return hasher.finalizeHex()
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex.
    public var hex: String {
        // By table: String(format:) per byte went through varargs and dynamic casts.
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
