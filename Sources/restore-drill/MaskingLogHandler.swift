import DrillSupport
import Foundation
import Logging

/// swift-log handler writing to standard error with secrets masked.
struct MaskingLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "[\(event.level)] \(event.message)\n"
        FileHandle.standardError.write(Data(SecretMasker.shared.mask(line).utf8))
    }
}
