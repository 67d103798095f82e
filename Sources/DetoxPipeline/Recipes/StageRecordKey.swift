import DetoxDatasets

/// A key of the settings a finished stage records in its `stage.json`. The record keeps the names
/// of the recipe's first release, so runs made then are still recognized as finished.
struct StageRecordKey: CodingKey, ExpressibleByStringLiteral {
    let stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    init(stringLiteral value: String) { stringValue = value }
}

extension KeyedEncodingContainer<StageRecordKey> {
    /// `"skipBadRows": true` when the stage leaves malformed rows out; nothing when it stops at them,
    /// so records written before the setting existed still match.
    mutating func encodeSkippedRows(_ policy: DialogueDataset.MalformedRowPolicy) throws {
        if policy == .skip { try encode(true, forKey: "skipBadRows") }
    }
}
