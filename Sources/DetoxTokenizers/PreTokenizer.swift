import Foundation

/// One piece of the input during encoding: normalized text, and its tokens once known (added
/// tokens are known before the model runs) — tokenizers' `Split`.
struct TextSplit {
    var text: NormalizedText
    var tokens: [Token]?
}

/// A pre-tokenization stage (`"pre_tokenizer"` in `tokenizer.json`).
protocol PreTokenizer: Sendable {
    func preTokenize(_ splits: inout [TextSplit])
}

extension PreTokenizer {
    /// Replaces every not-yet-tokenized split by the pieces `body` makes of it, dropping empty
    /// pieces (tokenizers' `PreTokenizedString::split`).
    func splitEach(_ splits: inout [TextSplit], _ body: (NormalizedText) -> [NormalizedText]) {
        var out: [TextSplit] = []
        out.reserveCapacity(splits.count)
        for split in splits {
            if split.tokens != nil {
                out.append(split)
                continue
            }
            for piece in body(split.text) where !piece.isEmpty {
                out.append(TextSplit(text: piece, tokens: nil))
            }
        }
        splits = out
    }
}

// MARK: - Factory

enum PreTokenizerFactory {
    static func make(_ node: JSONNode) throws -> any PreTokenizer {
        let type = try node.stageType()
        switch type {
        case "Sequence":
            let items = try node.required("pretokenizers").array()
            return SequencePreTokenizer(preTokenizers: try items.map(make))
        case "Metaspace":
            return try MetaspacePreTokenizer(node)
        case "WhitespaceSplit":
            return WhitespaceSplitPreTokenizer()
        case "Whitespace":
            return WhitespacePreTokenizer()
        case "BertPreTokenizer":
            return BertPreTokenizer()
        case "ByteLevel":
            return ByteLevelPreTokenizer(
                addPrefixSpace: try node.bool("add_prefix_space", default: true),
                useRegex: try node.bool("use_regex", default: true))
        case "Split":
            return try SplitPreTokenizer(node)
        case "Punctuation":
            return PunctuationPreTokenizer(
                behavior: try SplitPreTokenizer.behavior(node["behavior"], default: .isolated))
        default:
            throw TokenizerError.unsupported(
                file: node.file, path: "\(node.path).type", kind: "pre-tokenizer", value: type)
        }
    }
}
