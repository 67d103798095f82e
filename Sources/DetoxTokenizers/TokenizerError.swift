import Foundation

/// Every failure of the `Tokenizers` target.
///
/// Cases that come from a file carry the file's name and the JSON path (or protobuf field) of the
/// problem, with what was expected and what was found.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A tokenizer folder holds none of the files a tokenizer can be built from.
    case missingFiles(folder: String, expected: String)
    /// A file could not be read from disk.
    case unreadableFile(file: String, reason: String)
    /// A file is not valid JSON / protobuf / text of the expected shape.
    case malformed(file: String, path: String, expected: String, actual: String)
    /// A stage `"type"` (or another enumerated value) this library does not implement.
    case unsupported(file: String, path: String, kind: String, value: String)
    /// A token a stage refers to is not in the vocabulary.
    case unknownToken(file: String, path: String, token: String)
    /// A regular expression in a file could not be compiled.
    case invalidRegex(file: String, path: String, pattern: String)

    public var description: String {
        switch self {
        case let .missingFiles(folder, expected):
            return "\(folder): no tokenizer files found (expected \(expected))"
        case let .unreadableFile(file, reason):
            return "\(file): cannot read (\(reason))"
        case let .malformed(file, path, expected, actual):
            return "\(file) at \(path): expected \(expected), found \(actual)"
        case let .unsupported(file, path, kind, value):
            return "\(file) at \(path): unsupported \(kind) \"\(value)\""
        case let .unknownToken(file, path, token):
            return "\(file) at \(path): token \"\(token)\" is not in the vocabulary"
        case let .invalidRegex(file, path, pattern):
            return "\(file) at \(path): invalid regular expression \"\(pattern)\""
        }
    }
}
