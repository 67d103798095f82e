/// Where a Metaspace stage puts a replacement character before a piece.
enum PrependScheme: String, Sendable {
    case always, first, never
}

/// SentencePiece-style pre-tokenization: spaces become `▁`, a `▁` is prepended, and the text is
/// split so that every piece starts with `▁` (tokenizers `pre_tokenizers/metaspace.rs`).
///
/// Reads both forms: current (`prepend_scheme`, `split`) and legacy (`add_prefix_space`,
/// `str_rep`): `add_prefix_space: false` means `never`, a missing `prepend_scheme` means `always`.
struct MetaspacePreTokenizer: PreTokenizer {
    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme
    let split: Bool

    init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
    }

    init(_ node: JSONNode) throws {
        (replacement, prependScheme) = try Self.readCommon(node)
        split = try node.bool("split", default: true)
    }

    /// Reads `replacement` and the prepend scheme, shared with the Metaspace decoder.
    static func readCommon(_ node: JSONNode) throws -> (Unicode.Scalar, PrependScheme) {
        let replacementNode = try node.required("replacement")
        let scalars = Array(try replacementNode.string().unicodeScalars)
        guard scalars.count == 1 else { throw replacementNode.mismatch("a single character") }
        var scheme = PrependScheme.always
        if let schemeNode = node["prepend_scheme"] {
            let raw = try schemeNode.string()
            guard let parsed = PrependScheme(rawValue: raw) else {
                throw schemeNode.unsupported("prepend_scheme", raw)
            }
            scheme = parsed
        }
        if let prefixNode = node["add_prefix_space"], try !prefixNode.bool() {
            if node["prepend_scheme"] != nil, scheme != .never {
                throw prefixNode.mismatch("add_prefix_space consistent with prepend_scheme \"\(scheme.rawValue)\"")
            }
            scheme = .never
        }
        return (scalars[0], scheme)
    }

    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { piece in
            var text = piece
            text.replace(.scalar(" "), with: [replacement])
            switch prependScheme {
            case .always:
                if text.scalars.first != replacement { text.prepend([replacement]) }
            case .first:
                if text.scalars.first != replacement, text.originalStart == 0 { text.prepend([replacement]) }
            case .never:
                break
            }
            return split ? text.split(.scalar(replacement), behavior: .mergedWithNext) : [text]
        }
    }
}
