import DetoxTokenizers
import Foundation

/// A list of dialogues read from a DialogSum-style CSV (`train.csv`, `validation.csv`,
/// `test.csv`) or JSON Lines file, with the problems met on the way.
public struct DialogueDataset: Sendable {
    /// What to do with a malformed row.
    public enum MalformedRowPolicy: Sendable {
        /// Stop with the row's error.
        case fail
        /// Skip the row, count it and keep its error in ``DialogueDataset/skipped``.
        case skip
    }

    public var records: [DialogueRecord]
    /// Rows left out under ``MalformedRowPolicy/skip``, with why.
    public var skipped: [DatasetError]

    public init(records: [DialogueRecord], skipped: [DatasetError] = []) {
        self.records = records
        self.skipped = skipped
    }

    public var count: Int { records.count }

    /// Reads a `.csv`, `.jsonl` or `.json` (JSON Lines) file. `summary` and `topic` may be absent
    /// from a file (they become empty); `id` and `dialogue` are required.
    public static func load(_ url: URL, malformedRows: MalformedRowPolicy = .fail) throws -> DialogueDataset {
        let format: TextTable.Format = TextTable.Format(url: url) == .jsonLines ? .jsonLines : .csv
        return DialogueDataset(try TextTable.load(url, fields: fields, format: format, malformedRows: malformedRows))
    }

    /// Parses CSV with a header row naming the columns (any order, extra columns ignored).
    public static func csv(_ data: Data, file: String, malformedRows: MalformedRowPolicy = .fail) throws
        -> DialogueDataset
    {
        DialogueDataset(try TextTable.csv(data, file: file, fields: fields, malformedRows: malformedRows))
    }

    /// Parses JSON Lines: one object per line with string fields `id`, `dialogue` and optionally
    /// `summary`, `topic` (DialogSum's original files use `fname` for the id and `summary1` when
    /// there are several references; both are accepted). Every character of a value is kept (see
    /// ``TextTable``).
    public static func jsonLines(_ data: Data, file: String, malformedRows: MalformedRowPolicy = .fail) throws
        -> DialogueDataset
    {
        DialogueDataset(try TextTable.jsonLines(data, file: file, fields: fields, malformedRows: malformedRows))
    }

    /// DialogSum's fields, with the names its original JSON Lines files use as aliases.
    static let fields = [
        TextTable.Field("id", "fname"), TextTable.Field("dialogue"),
        TextTable.Field("summary", "summary1", required: false), TextTable.Field("topic", "topic1", required: false),
    ]

    private init(_ table: TextTable) {
        records = table.rows.map {
            DialogueRecord(
                id: $0.values[0] ?? "", dialogue: $0.values[1] ?? "", summary: $0.values[2] ?? "",
                topic: $0.values[3] ?? "")
        }
        skipped = table.skipped
    }

    // MARK: - Selection

    /// Keeps dialogues whose length in characters is in `range` (the course lab keeps 201...1000:
    /// `len(dialogue) > 200 and len(dialogue) <= 1000`, where Python counts code points).
    public func filtered(dialogueLength range: ClosedRange<Int>) -> DialogueDataset {
        DialogueDataset(records: records.filter { range.contains($0.dialogue.unicodeScalars.count) }, skipped: skipped)
    }

    /// The first `count` records (all when fewer).
    public func prefix(_ count: Int) -> DialogueDataset {
        DialogueDataset(records: Array(records.prefix(count)), skipped: skipped)
    }

    /// Splits into train and test parts. Without a seed the order is kept and the test part is
    /// the last `ceil(testFraction × n)` records, as `datasets`' `train_test_split(shuffle=False)`;
    /// with a seed the records are shuffled first (Fisher–Yates driven by a 64-bit linear
    /// congruential generator, so the same seed gives the same split — not NumPy's split).
    public func split(testFraction: Double, shuffleSeed: UInt64? = nil) throws -> (
        train: DialogueDataset, test: DialogueDataset
    ) {
        guard testFraction > 0 && testFraction < 1 else {
            throw DatasetError.invalidSetting(
                name: "test fraction", reason: "must be between 0 and 1, got \(testFraction)")
        }
        var ordered = records
        if let seed = shuffleSeed {
            var state = seed
            for i in stride(from: ordered.count - 1, to: 0, by: -1) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let j = Int((state >> 33) % UInt64(i + 1))
                ordered.swapAt(i, j)
            }
        }
        let testCount = Int((testFraction * Double(ordered.count)).rounded(.up))
        let trainCount = ordered.count - testCount
        return (
            DialogueDataset(records: Array(ordered[..<trainCount])),
            DialogueDataset(records: Array(ordered[trainCount...]))
        )
    }
}

// MARK: - Writing

extension DialogueDataset {
    /// The records as DialogSum's CSV (`id,dialogue,summary,topic`, RFC 4180 quoting, LF line ends).
    public func csvData() -> Data {
        func field(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var out = "id,dialogue,summary,topic\n"
        for r in records { out += [r.id, r.dialogue, r.summary, r.topic].map(field).joined(separator: ",") + "\n" }
        return Data(out.utf8)
    }
}
