/// Splits on punctuation characters with a configurable behaviour.
struct PunctuationPreTokenizer: PreTokenizer {
    let behavior: SplitBehavior

    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { $0.split(.predicate(BertPreTokenizer.isPunctuation), behavior: behavior) }
    }
}
