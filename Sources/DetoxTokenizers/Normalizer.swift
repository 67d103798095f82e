import Foundation

/// A normalization stage of a tokenizer pipeline (`"normalizer"` in `tokenizer.json`).
protocol Normalizer: Sendable {
    func normalize(_ text: inout NormalizedText)
}

// MARK: - Factory

enum NormalizerFactory {
    /// Builds the normalizer described by `node`, chosen by its `"type"`.
    static func make(_ node: JSONNode) throws -> any Normalizer {
        let type = try node.stageType()
        switch type {
        case "Sequence":
            let items = try node.required("normalizers").array()
            return SequenceNormalizer(normalizers: try items.map(make))
        case "Precompiled":
            return try PrecompiledNormalizer(node)
        case "NFC": return UnicodeNormalizer(form: .nfc)
        case "NFD": return UnicodeNormalizer(form: .nfd)
        case "NFKC": return UnicodeNormalizer(form: .nfkc)
        case "NFKD": return UnicodeNormalizer(form: .nfkd)
        case "Lowercase": return LowercaseNormalizer()
        case "StripAccents": return StripAccentsNormalizer()
        case "Strip":
            return StripNormalizer(
                left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case "Replace":
            return try ReplaceNormalizer(node)
        case "Prepend":
            return PrependNormalizer(prefix: Array(try node.required("prepend").string().unicodeScalars))
        case "BertNormalizer":
            return BertNormalizer(
                cleanText: try node.bool("clean_text", default: true),
                handleChineseChars: try node.bool("handle_chinese_chars", default: true),
                stripAccents: try node["strip_accents"]?.bool(),
                lowercase: try node.bool("lowercase", default: true))
        default:
            throw TokenizerError.unsupported(
                file: node.file, path: "\(node.path).type", kind: "normalizer", value: type)
        }
    }
}

/// Reads a tokenizers `Pattern` object: `{"String": "..."}` or `{"Regex": "..."}`.
enum PatternReader {
    static func read(_ node: JSONNode) throws -> TextPattern {
        if let literal = try node["String"]?.string() {
            let scalars = Array(literal.unicodeScalars)
            return scalars.count == 1 ? .scalar(scalars[0]) : .literal(scalars)
        }
        if let regexNode = node["Regex"] {
            let pattern = try regexNode.string()
            if let compiled = SplitExpression.compiled[pattern] { return compiled }
            do {
                return .regex(try SharedRegex(pattern))
            } catch {
                throw TokenizerError.invalidRegex(file: node.file, path: regexNode.path, pattern: pattern)
            }
        }
        throw node.mismatch("a pattern object with \"String\" or \"Regex\"")
    }
}
