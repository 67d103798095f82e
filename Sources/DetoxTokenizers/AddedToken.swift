/// A token matched in the text before the model runs (`added_tokens` in `tokenizer.json`).
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Only match when not inside a word.
    public var singleWord: Bool
    /// Swallow whitespace on the left / right.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Match in the normalized text (true) or in the raw input (false).
    public var normalized: Bool
    /// Special tokens are dropped by `decode(_:skipSpecialTokens:)`.
    public var special: Bool

    public init(
        id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
        normalized: Bool = false, special: Bool = true
    ) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    init(_ node: JSONNode, id: Int) throws {
        let special = try node.bool("special", default: false)
        self.init(
            id: id, content: try node.required("content").string(),
            singleWord: try node.bool("single_word", default: false),
            lstrip: try node.bool("lstrip", default: false), rstrip: try node.bool("rstrip", default: false),
            normalized: try node.bool("normalized", default: !special), special: special)
    }
}
