/// Applies pre-tokenizers one after the other.
struct SequencePreTokenizer: PreTokenizer {
    let preTokenizers: [any PreTokenizer]

    func preTokenize(_ splits: inout [TextSplit]) {
        for p in preTokenizers { p.preTokenize(&splits) }
    }
}
