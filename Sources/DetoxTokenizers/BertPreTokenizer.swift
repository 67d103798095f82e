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

    /// One pass for both splits: whitespace ends a piece and is dropped, punctuation is a piece.
    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { text in
            var ranges: [Range<Int>] = []
            var start = 0
            for (i, s) in text.scalars.enumerated() {
                let space = s.isWhiteSpace
                guard space || Self.isPunctuation(s) else { continue }
                if start < i { ranges.append(start..<i) }
                if !space { ranges.append(i..<(i + 1)) }
                start = i + 1
            }
            if start < text.count { ranges.append(start..<text.count) }
            return ranges.map(text.slice)
        }
    }
}
