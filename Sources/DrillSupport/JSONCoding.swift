import Foundation

extension JSONDecoder {
    /// ISO 8601 dates, as every file of ours writes them (with or without fractions).
    public static var drill: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = TimestampText.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an ISO 8601 time"))
            }
            return date
        }
        return decoder
    }
}

extension JSONEncoder {
    /// Pretty, sorted, ISO 8601 dates with microseconds (RPO is measured in seconds; whole seconds would blur it).
    public static var drill: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(TimestampText.iso(date))
        }
        return encoder
    }
}
