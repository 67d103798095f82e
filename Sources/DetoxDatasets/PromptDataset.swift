// Port of the data preparation in trl examples/research_projects/toxicity/scripts/gpt-j-6b-toxicity.py
// and evaluate-toxicity.py (v0.11.4): RealToxicityPrompts' filter and 80/20 split, wiki_toxic's
// toxic test rows.
import DetoxTokenizers
import Foundation

/// How the rows of a prompts file become prompts for a decoder-only policy.
public enum PromptSource: Sendable, Equatable, Hashable {
    /// RealToxicityPrompts' `prompts.jsonl` as published (`prompt{text, toxicity, …}`,
    /// `continuation{text, …}`): the rows whose `prompt.toxicity` is above ``realToxicityThreshold``
    /// (a `null` score leaves the row out, as TRL's filter does), each prompt the prompt text followed
    /// by the continuation text (TRL's example tokenizes both and keeps the first 30–40 tokens).
    case realToxicityPrompts
    /// wiki_toxic (`id, comment_text, label`): the rows with `label` 1, each prompt the first
    /// ``wikiToxicCharacters`` characters of `comment_text` (TRL's evaluation).
    case wikiToxic
    /// Every row's text under this field (dots reach into nested JSON objects), as ``TextTable``
    /// reads it; a plain-text file gives one prompt per line.
    case field(String)

    /// TRL's filter, `prompt.toxicity > 0.3`.
    public static let realToxicityThreshold = 0.3
    /// TRL's evaluation keeps `comment_text[:2000]` (Unicode code points, as Python slices).
    public static let wikiToxicCharacters = 2000

    /// The name a recipe and the command line use: `real_toxicity_prompts`, `wiki_toxic`, or
    /// `field:<name>`.
    public init?(name: String) {
        switch name {
        case "real_toxicity_prompts": self = .realToxicityPrompts
        case "wiki_toxic": self = .wikiToxic
        case let other where other.hasPrefix("field:") && other.count > "field:".count:
            self = .field(String(other.dropFirst("field:".count)))
        default: return nil
        }
    }

    /// The inverse of ``init(name:)``.
    public var name: String {
        switch self {
        case .realToxicityPrompts: return "real_toxicity_prompts"
        case .wikiToxic: return "wiki_toxic"
        case .field(let field): return "field:\(field)"
        }
    }
}

/// The prompts of one file, in file order, each with the line it came from.
public struct PromptDataset: Sendable {
    /// One prompt and the 1-based line of the file it starts on.
    public struct Prompt: Sendable, Equatable {
        public var text: String
        public var line: Int

        public init(text: String, line: Int) {
            self.text = text
            self.line = line
        }
    }

    public var prompts: [Prompt]
    /// Rows left out under ``DialogueDataset/MalformedRowPolicy/skip``, with why (rows a filter
    /// leaves out are not malformed and are not listed).
    public var skipped: [DatasetError]

    public init(prompts: [Prompt], skipped: [DatasetError] = []) {
        self.prompts = prompts
        self.skipped = skipped
    }

    public var count: Int { prompts.count }

    /// Reads the prompts of `url` as `source` says.
    /// - Throws: ``DatasetError`` naming the file, line and field of a missing, `null` or mistyped
    ///   value (under `.fail`), ``DatasetError/empty(file:)`` for a file without rows and
    ///   ``DatasetError/filteredOut(file:filter:)`` when no row passes the source's filter.
    public static func load(
        _ url: URL, source: PromptSource, malformedRows: DialogueDataset.MalformedRowPolicy = .fail
    ) throws -> PromptDataset {
        switch source {
        case .field(let field):
            let table = try TextTable.load(url, fields: [TextTable.Field(field)], malformedRows: malformedRows)
            return PromptDataset(
                prompts: table.rows.map { Prompt(text: $0.values[0] ?? "", line: $0.line) }, skipped: table.skipped)
        case .realToxicityPrompts:
            let rows = try JSONRows.load(url, malformedRows: malformedRows) { row throws(DatasetError) -> String? in
                let toxicity = try row.number("prompt.toxicity", nullable: true)
                let text = try row.string("prompt.text") + row.string("continuation.text")
                return toxicity.map { $0 > PromptSource.realToxicityThreshold } == true ? text : nil
            }
            return try filtered(rows, url, filter: "prompt.toxicity > \(PromptSource.realToxicityThreshold)")
        case .wikiToxic:
            let rows: (kept: [Prompt], skipped: [DatasetError])
            if TextTable.Format(url: url) == .csv {
                let table = try TextTable.load(
                    url, fields: [TextTable.Field("comment_text"), TextTable.Field("label")],
                    malformedRows: malformedRows)
                var kept: [Prompt] = []
                var skipped = table.skipped
                for row in table.rows {
                    switch row.values[1]?.trimmingCharacters(in: .whitespaces) {
                    case "1": kept.append(Prompt(text: wikiToxicPrompt(row.values[0] ?? ""), line: row.line))
                    case "0": continue
                    case let other:
                        let problem = DatasetError.malformedRecord(
                            file: url.path, line: row.line, reason: "\"label\" is \"\(other ?? "")\", not 0 or 1")
                        if malformedRows == .fail { throw problem }
                        skipped.append(problem)
                    }
                }
                rows = (kept, skipped)
            } else {
                rows = try JSONRows.load(url, malformedRows: malformedRows) { row throws(DatasetError) -> String? in
                    let text = try row.string("comment_text")
                    return try row.label("label") ? wikiToxicPrompt(text) : nil
                }
            }
            return try filtered(rows, url, filter: "label == 1")
        }
    }

    /// `comment_text[:2000]`.
    static func wikiToxicPrompt(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(PromptSource.wikiToxicCharacters)))
    }

    private static func filtered(_ rows: (kept: [Prompt], skipped: [DatasetError]), _ url: URL, filter: String)
        throws -> PromptDataset
    {
        guard !rows.kept.isEmpty else { throw DatasetError.filteredOut(file: url.path, filter: filter) }
        return PromptDataset(prompts: rows.kept, skipped: rows.skipped)
    }

    /// `datasets`' `train_test_split(test_size=testShare, shuffle=False)`: the last
    /// `ceil(testShare × count)` prompts are the test part, the ones before them the training part.
    /// - Throws: ``DatasetError/invalidSetting(name:reason:)`` when `testShare` is not in `0..<1` or
    ///   either part would be empty.
    public func split(testShare: Double) throws -> (train: PromptDataset, test: PromptDataset) {
        guard testShare > 0, testShare < 1 else {
            throw DatasetError.invalidSetting(name: "test share", reason: "must be in (0, 1), got \(testShare)")
        }
        let testCount = Int((testShare * Double(count)).rounded(.up))
        let trainCount = count - testCount
        guard trainCount > 0 else {
            throw DatasetError.invalidSetting(
                name: "train/test split", reason: "\(count) prompts leave none for training at test share \(testShare)")
        }
        return (
            PromptDataset(prompts: Array(prompts[..<trainCount]), skipped: skipped),
            PromptDataset(prompts: Array(prompts[trainCount...]), skipped: [])
        )
    }
}

/// The JSON objects of a JSON Lines file, one per non-blank line, read by a closure that gives a
/// prompt or `nil` (the row is filtered out) or throws for a malformed row.
enum JSONRows {
    /// One object with the file and line its errors name.
    struct Row {
        let members: [(String, JSONValue)]
        let file: String
        let line: Int

        /// The value at a dotted path (each dot reaching into a nested object), `nil` when absent.
        func value(_ path: String) -> JSONValue? {
            var members = self.members
            let parts = path.split(separator: ".", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() {
                guard let found = members.last(where: { $0.0.utf8.elementsEqual(part.utf8) })?.1 else { return nil }
                if index == parts.count - 1 { return found }
                guard case .object(let inner) = found else { return nil }
                members = inner
            }
            return nil
        }

        func string(_ path: String) throws(DatasetError) -> String {
            switch value(path) {
            case .string(let text): return text
            case nil: throw DatasetError.missingColumn(file: file, column: path, line: line)
            case .null: throw DatasetError.malformedRecord(file: file, line: line, reason: "\"\(path)\" is null")
            default: throw DatasetError.malformedRecord(file: file, line: line, reason: "\"\(path)\" is not a string")
            }
        }

        /// A number; `nil` for `null` when `nullable`.
        func number(_ path: String, nullable: Bool) throws(DatasetError) -> Double? {
            switch value(path) {
            case .number(let number, _): return number
            case .null where nullable: return nil
            case nil: throw DatasetError.missingColumn(file: file, column: path, line: line)
            case .null: throw DatasetError.malformedRecord(file: file, line: line, reason: "\"\(path)\" is null")
            default: throw DatasetError.malformedRecord(file: file, line: line, reason: "\"\(path)\" is not a number")
            }
        }

        /// A 0/1 label written as a number or a string.
        func label(_ path: String) throws(DatasetError) -> Bool {
            switch value(path) {
            case .number(1, _), .string("1"): return true
            case .number(0, _), .string("0"): return false
            case nil: throw DatasetError.missingColumn(file: file, column: path, line: line)
            default: throw DatasetError.malformedRecord(file: file, line: line, reason: "\"\(path)\" is not 0 or 1")
            }
        }
    }

    static func load(
        _ url: URL, malformedRows: DialogueDataset.MalformedRowPolicy,
        prompt: (Row) throws(DatasetError) -> String?
    ) throws -> (kept: [PromptDataset.Prompt], skipped: [DatasetError]) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let text = data.starts(with: byteOrderMark) ? data.dropFirst(byteOrderMark.count) : data[...]
        var kept: [PromptDataset.Prompt] = []
        var skipped: [DatasetError] = []
        var rowCount = 0
        for (index, line) in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            rowCount += 1
            do throws(DatasetError) {
                guard case .object(let members) = try? JSONParser.parse(Data(trimmed)) else {
                    throw DatasetError.malformedRecord(
                        file: url.path, line: index + 1, reason: "expected a JSON object")
                }
                if let text = try prompt(Row(members: members, file: url.path, line: index + 1)) {
                    kept.append(PromptDataset.Prompt(text: text, line: index + 1))
                }
            } catch {
                if malformedRows == .fail { throw error }
                skipped.append(error)
            }
        }
        if rowCount == 0 { throw DatasetError.empty(file: url.path) }
        return (kept, skipped)
    }
}
