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
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let dataset: DialogueDataset
        switch url.pathExtension.lowercased() {
        case "jsonl", "json": dataset = try jsonLines(data, file: url.path, malformedRows: malformedRows)
        default: dataset = try csv(data, file: url.path, malformedRows: malformedRows)
        }
        if dataset.records.isEmpty { throw DatasetError.empty(file: url.path) }
        return dataset
    }

    /// Parses CSV with a header row naming the columns (any order, extra columns ignored).
    public static func csv(_ data: Data, file: String, malformedRows: MalformedRowPolicy = .fail) throws
        -> DialogueDataset
    {
        let rows = try CSVReader(file: file).records(in: data)
        guard let header = rows.first else { throw DatasetError.empty(file: file) }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String, required: Bool) throws -> Int? {
            if let index = columns.firstIndex(of: name) { return index }
            if required { throw DatasetError.missingColumn(file: file, column: name, line: header.line) }
            return nil
        }
        let idColumn = try column("id", required: true)!
        let dialogueColumn = try column("dialogue", required: true)!
        let summaryColumn = try column("summary", required: false)
        let topicColumn = try column("topic", required: false)

        var records: [DialogueRecord] = []
        var skipped: [DatasetError] = []
        for row in rows.dropFirst() {
            guard row.fields.count == columns.count else {
                let problem = DatasetError.raggedRow(
                    file: file, line: row.line, expected: columns.count, actual: row.fields.count)
                if malformedRows == .fail { throw problem }
                skipped.append(problem)
                continue
            }
            records.append(
                DialogueRecord(
                    id: row.fields[idColumn], dialogue: row.fields[dialogueColumn],
                    summary: summaryColumn.map { row.fields[$0] } ?? "",
                    topic: topicColumn.map { row.fields[$0] } ?? ""))
        }
        return DialogueDataset(records: records, skipped: skipped)
    }

    /// Parses JSON Lines: one object per line with string fields `id`, `dialogue` and optionally
    /// `summary`, `topic` (DialogSum's original files use `fname` for the id and `summary1` when
    /// there are several references; both are accepted).
    ///
    /// Every character of a string value is kept, a leading U+FEFF included (Foundation's
    /// `JSONSerialization` drops that one on Linux), so the package's own parser reads each line.
    /// A byte order mark at the very start of the file is an encoding mark, not data, and is skipped.
    public static func jsonLines(_ data: Data, file: String, malformedRows: MalformedRowPolicy = .fail) throws
        -> DialogueDataset
    {
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let text = data.starts(with: byteOrderMark) ? data.dropFirst(byteOrderMark.count) : data[...]
        var records: [DialogueRecord] = []
        var skipped: [DatasetError] = []
        var lineNumber = 0
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            do {
                records.append(try record(Data(trimmed), file: file, line: lineNumber))
            } catch {
                if malformedRows == .fail { throw error }
                skipped.append(error)
            }
        }
        return DialogueDataset(records: records, skipped: skipped)
    }

    /// One JSON Lines row as a record.
    private static func record(_ line: Data, file: String, line lineNumber: Int) throws(DatasetError)
        -> DialogueRecord
    {
        let members: [(String, JSONValue)]
        do {
            guard case .object(let object) = try JSONParser.parse(line) else {
                throw DatasetError.malformedRecord(file: file, line: lineNumber, reason: "expected a JSON object")
            }
            members = object
        } catch let problem as DatasetError {
            throw problem
        } catch {
            throw DatasetError.malformedRecord(file: file, line: lineNumber, reason: "invalid JSON")
        }
        func string(_ keys: [String], required: Bool) throws(DatasetError) -> String {
            for key in keys {
                // Keys compare byte for byte; the last of repeated keys wins, as in Python's json.
                guard let value = members.last(where: { $0.0.utf8.elementsEqual(key.utf8) })?.1 else { continue }
                guard case .string(let text) = value else {
                    throw DatasetError.malformedRecord(
                        file: file, line: lineNumber, reason: "\"\(key)\" is not a string")
                }
                return text
            }
            if required { throw DatasetError.missingColumn(file: file, column: keys[0], line: lineNumber) }
            return ""
        }
        return DialogueRecord(
            id: try string(["id", "fname"], required: true),
            dialogue: try string(["dialogue"], required: true),
            summary: try string(["summary", "summary1"], required: false),
            topic: try string(["topic", "topic1"], required: false))
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
