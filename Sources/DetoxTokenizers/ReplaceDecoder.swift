/// Replaces a pattern in every token (e.g. `▁` → space in newer SentencePiece conversions).
struct ReplaceDecoder: TokenDecoder {
    let pattern: TextPattern
    let content: [Unicode.Scalar]

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            var text = NormalizedText(token)
            text.replace(pattern, with: content)
            return text.string
        }
    }
}
