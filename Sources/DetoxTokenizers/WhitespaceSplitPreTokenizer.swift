/// Splits on whitespace, dropping it.
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { $0.split(.predicate { $0.properties.isWhitespace }, behavior: .removed) }
    }
}
