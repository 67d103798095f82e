/// Splits on whitespace, dropping it.
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { $0.split(.predicate(\.isWhiteSpace), behavior: .removed) }
    }
}
