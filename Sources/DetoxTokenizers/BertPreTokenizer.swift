/// BERT's pre-tokenizer: split on whitespace (removed), then isolate every punctuation character.
struct BertPreTokenizer: PreTokenizer {
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let v = s.value
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { $0.split(.predicate(\.isWhiteSpace), behavior: .removed) }
        splitEach(&splits) { $0.split(.predicate(Self.isPunctuation), behavior: .isolated) }
    }
}
