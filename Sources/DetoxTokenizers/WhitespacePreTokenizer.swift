/// Splits into runs of word characters and runs of other non-space characters (`\w+|[^\w\s]+`).
struct WhitespacePreTokenizer: PreTokenizer {
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        if s == "_" { return true }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation:
            return true
        default:
            return false
        }
    }

    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { text in
            // Classify each scalar: 0 = space, 1 = word, 2 = other; runs of 1 or 2 are pieces.
            var pieces: [NormalizedText] = []
            var start = 0
            var currentClass = -1
            for (i, s) in text.scalars.enumerated() {
                let cls = s.isWhiteSpace ? 0 : (Self.isWord(s) ? 1 : 2)
                if cls != currentClass {
                    if currentClass > 0 { pieces.append(text.slice(start..<i)) }
                    start = i
                    currentClass = cls
                }
            }
            if currentClass > 0 { pieces.append(text.slice(start..<text.count)) }
            return pieces
        }
    }
}
