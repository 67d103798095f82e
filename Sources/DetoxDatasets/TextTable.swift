import DetoxTokenizers
import Foundation

/// Rows of named text fields read from a JSON Lines, CSV or plain-text file: the reader under every
/// dataset of the package (dialogues, prompts, prompt/completion pairs).
///
/// A field is asked for by its names (the first is its own, the others are aliases, tried in order)
/// and may be required. In JSON Lines a name with dots (`prompt.text`) also reaches into nested
/// objects, as RealToxicityPrompts nests its text; `null` counts as absent. CSV files name their
/// columns in a header row. A plain-text file (any other extension) gives one row per non-blank
/// line, and only a single field can be read from it.
public struct TextTable: Sendable {
    /// A field to read.
    public struct Field: Sendable, Equatable {
        /// The field's name, then its aliases.
        public var names: [String]
        public var required: Bool

        public init(_ names: String..., required: Bool = true) {
            self.names = names
            self.required = required
        }
    }

    /// One row: the line it starts on and a value for each field (`nil` for an absent optional one).
    public struct Row: Sendable, Equatable {
        public let line: Int
        public let values: [String?]
    }

    /// The file's format, from its extension.
    public enum Format: Sendable {
        case jsonLines, csv, textLines

        /// `.jsonl` and `.json` (JSON Lines), `.csv`, anything else plain text.
        public init(url: URL) {
            switch url.pathExtension.lowercased() {
            case "jsonl", "json": self = .jsonLines
            case "csv": self = .csv
            default: self = .textLines
            }
        }
    }

    public var rows: [Row]
    /// Rows left out under ``DialogueDataset/MalformedRowPolicy/skip``, with why.
    public var skipped: [DatasetError]

    /// Reads `fields` from `url`, in the format its extension names.
    /// - Throws: ``DatasetError`` naming the file, line and field; ``DatasetError/empty(file:)`` when
    ///   no row is left.
    public static func load(
        _ url: URL, fields: [Field], format: Format? = nil,
        malformedRows: DialogueDataset.MalformedRowPolicy = .fail
    ) throws -> TextTable {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let table = try parse(
            data, file: url.path, fields: fields, format: format ?? Format(url: url), malformedRows: malformedRows)
        if table.rows.isEmpty { throw DatasetError.empty(file: url.path) }
        return table
    }

    /// Reads `fields` from the bytes of a file in `format` (`file` names it in errors).
    public static func parse(
        _ data: Data, file: String, fields: [Field], format: Format,
        malformedRows: DialogueDataset.MalformedRowPolicy = .fail
    ) throws -> TextTable {
        switch format {
        case .jsonLines: return try jsonLines(data, file: file, fields: fields, malformedRows: malformedRows)
        case .csv: return try csv(data, file: file, fields: fields, malformedRows: malformedRows)
        case .textLines: return try textLines(data, file: file, fields: fields)
        }
    }

    // MARK: - JSON Lines

    /// One JSON object per line; blank lines are skipped, and a byte order mark at the very start of
    /// the file is an encoding mark, not data. Every character of a value is kept, a leading U+FEFF
    /// included (the package's own parser reads each line; Foundation's drops that one on Linux).
    static func jsonLines(
        _ data: Data, file: String, fields: [Field], malformedRows: DialogueDataset.MalformedRowPolicy
    ) throws -> TextTable {
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let text = data.starts(with: byteOrderMark) ? data.dropFirst(byteOrderMark.count) : data[...]
        var table = TextTable(rows: [], skipped: [])
        var lineNumber = 0
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            do {
                let members = try object(Data(trimmed), file: file, line: lineNumber)
                let values = try fields.map { field throws(DatasetError) in
                    try value(of: field, in: members, file: file, line: lineNumber)
                }
                table.rows.append(Row(line: lineNumber, values: values))
            } catch {
                if malformedRows == .fail { throw error }
                table.skipped.append(error)
            }
        }
        return table
    }

    private static func object(_ line: Data, file: String, line lineNumber: Int) throws(DatasetError)
        -> [(String, JSONValue)]
    {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(line)
        } catch {
            throw DatasetError.malformedRecord(file: file, line: lineNumber, reason: "invalid JSON")
        }
        guard case .object(let members) = parsed else {
            throw DatasetError.malformedRecord(file: file, line: lineNumber, reason: "expected a JSON object")
        }
        return members
    }

    /// The field's string value, under its first name present (a dotted name reaching into nested
    /// objects when no member has the whole name).
    private static func value(of field: Field, in members: [(String, JSONValue)], file: String, line: Int)
        throws(DatasetError) -> String?
    {
        for name in field.names {
            guard let found = lookUp(name, in: members) else { continue }
            switch found {
            case .null: continue
            case .string(let text): return text
            default: throw DatasetError.malformedRecord(file: file, line: line, reason: "\"\(name)\" is not a string")
            }
        }
        if field.required { throw DatasetError.missingColumn(file: file, column: field.names[0], line: line) }
        return nil
    }

    private static func lookUp(_ name: String, in members: [(String, JSONValue)]) -> JSONValue? {
        // Keys compare byte for byte; the last of repeated keys wins, as in Python's json.
        if let member = members.last(where: { $0.0.utf8.elementsEqual(name.utf8) }) { return member.1 }
        guard let dot = name.firstIndex(of: "."),
            let outer = members.last(where: { $0.0.utf8.elementsEqual(name[..<dot].utf8) }),
            case .object(let inner) = outer.1
        else { return nil }
        return lookUp(String(name[name.index(after: dot)...]), in: inner)
    }

    // MARK: - CSV

    /// A header row naming the columns (any order, extra columns ignored), then one row per record.
    static func csv(
        _ data: Data, file: String, fields: [Field], malformedRows: DialogueDataset.MalformedRowPolicy
    ) throws -> TextTable {
        let records = try CSVReader(file: file).records(in: data)
        guard let header = records.first else { throw DatasetError.empty(file: file) }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let indices = try fields.map { field -> Int? in
            if let index = field.names.lazy.compactMap({ columns.firstIndex(of: $0) }).first { return index }
            if field.required {
                throw DatasetError.missingColumn(file: file, column: field.names[0], line: header.line)
            }
            return nil
        }
        var table = TextTable(rows: [], skipped: [])
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                let problem = DatasetError.raggedRow(
                    file: file, line: record.line, expected: columns.count, actual: record.fields.count)
                if malformedRows == .fail { throw problem }
                table.skipped.append(problem)
                continue
            }
            table.rows.append(Row(line: record.line, values: indices.map { $0.map { record.fields[$0] } }))
        }
        return table
    }

    // MARK: - Plain text

    /// One row per line that is not blank (a trailing `\r` is dropped; the text is otherwise kept).
    static func textLines(_ data: Data, file: String, fields: [Field]) throws -> TextTable {
        guard fields.count == 1 else {
            throw DatasetError.invalidSetting(
                name: file, reason: "a plain-text file holds one field; \(fields.count) were asked for")
        }
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let text = data.starts(with: byteOrderMark) ? data.dropFirst(byteOrderMark.count) : data[...]
        var rows: [Row] = []
        for (index, line) in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            guard let value = String(validating: trimmed, as: UTF8.self) else {
                throw DatasetError.malformedRecord(file: file, line: index + 1, reason: "not UTF-8 text")
            }
            if value.allSatisfy(\.isWhitespace) { continue }
            rows.append(Row(line: index + 1, values: [value]))
        }
        return TextTable(rows: rows, skipped: [])
    }
}
