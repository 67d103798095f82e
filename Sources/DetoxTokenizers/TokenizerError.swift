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
        case .missingFiles(let folder, let expected):
            return "\(folder): no tokenizer files found (expected \(expected))"
        case .unreadableFile(let file, let reason):
            return "\(file): cannot read (\(reason))"
        case .malformed(let file, let path, let expected, let actual):
            return "\(file) at \(path): expected \(expected), found \(actual)"
        case .unsupported(let file, let path, let kind, let value):
            return "\(file) at \(path): unsupported \(kind) \"\(value)\""
        case .unknownToken(let file, let path, let token):
            return "\(file) at \(path): token \"\(token)\" is not in the vocabulary"
        case .invalidRegex(let file, let path, let pattern):
            return "\(file) at \(path): invalid regular expression \"\(pattern)\""
        }
    }
}
