/// Replaces every match of a string or regular expression by fixed content.
struct ReplaceNormalizer: Normalizer {
    let pattern: TextPattern
    let content: [Unicode.Scalar]

    init(pattern: TextPattern, content: String) {
        self.pattern = pattern
        self.content = Array(content.unicodeScalars)
    }

    init(_ node: JSONNode) throws {
        pattern = try PatternReader.read(try node.required("pattern"))
        content = Array(try node.required("content").string().unicodeScalars)
    }

    func normalize(_ text: inout NormalizedText) {
        text.replace(pattern, with: content)
    }
}
