/// Errors from reading datasets.
///
/// Every case names the file and, where it applies, the line (1-based, where the record starts)
/// and the column or key.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// A quoted CSV field is never closed.
    case unterminatedQuote(file: String, line: Int)
    /// A CSV row has a different number of fields from the header.
    case raggedRow(file: String, line: Int, expected: Int, actual: Int)
    /// A required column is absent from the header (or a required key from a JSON record).
    case missingColumn(file: String, column: String, line: Int?)
    /// A JSON line is not an object with string values for the required keys.
    case malformedRecord(file: String, line: Int, reason: String)
    /// The file has no records.
    case empty(file: String)
    /// The file has records but none passes the filter (RealToxicityPrompts' toxicity threshold,
    /// wiki_toxic's toxic label).
    case filteredOut(file: String, filter: String)
    /// A split or filter setting is out of range.
    case invalidSetting(name: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read (\(reason))"
        case .unterminatedQuote(let file, let line): return "\(file):\(line): quoted field is never closed"
        case .raggedRow(let file, let line, let expected, let actual):
            return "\(file):\(line): row has \(actual) fields, the header has \(expected)"
        case .missingColumn(let file, let column, let line):
            return "\(file)\(line.map { ":\($0)" } ?? ""): missing column \"\(column)\""
        case .malformedRecord(let file, let line, let reason): return "\(file):\(line): \(reason)"
        case .empty(let file): return "\(file): no records"
        case .filteredOut(let file, let filter): return "\(file): no row passes the filter \(filter)"
        case .invalidSetting(let name, let reason): return "\(name): \(reason)"
        }
    }
}
