/// Splits on a string or regular expression, with a delimiter behaviour and optional inversion.
struct SplitPreTokenizer: PreTokenizer {
    let pattern: TextPattern
    let behavior: SplitBehavior
    let invert: Bool

    init(_ node: JSONNode) throws {
        pattern = try PatternReader.read(try node.required("pattern"))
        behavior = try Self.behavior(node["behavior"], default: .removed)
        invert = try node.bool("invert", default: false)
    }

    static func behavior(_ node: JSONNode?, default fallback: SplitBehavior) throws -> SplitBehavior {
        guard let node else { return fallback }
        let raw = try node.string()
        guard let value = SplitBehavior(rawValue: raw) else { throw node.unsupported("split behavior", raw) }
        return value
    }

    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { text in
            if !invert { return text.split(pattern, behavior: behavior) }
            // Inverted: the gaps are the delimiters.
            let flipped = pattern.findMatches(in: text.scalars).map {
                TextPattern.Match(range: $0.range, isMatch: !$0.isMatch)
            }
            return text.split(.precomputed(flipped), behavior: behavior)
        }
    }
}
