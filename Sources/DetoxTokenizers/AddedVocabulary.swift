/// The added tokens of a tokenizer and how they are cut out of the input before the model
/// (tokenizers `tokenizer/added_vocabulary.rs`): non-normalized tokens are found in the raw text,
/// the rest is normalized, then normalized tokens are found in it; matching is leftmost-longest.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let byContent: [ExactString: Int]
    private let byID: [Int: AddedToken]
    private let specialContents: Set<ExactString>
    /// Search patterns (scalars) for raw and normalized matching, with their token.
    private let rawPatterns: PatternSet
    private let normalizedPatterns: PatternSet

    /// Added-token patterns indexed by their first scalar.
    struct PatternSet: Sendable {
        var byFirst: [UInt32: [([Unicode.Scalar], AddedToken)]] = [:]
        /// Whether some pattern's first scalar has these low 8 bits: a quick test before `byFirst`.
        var mayStart = [Bool](repeating: false, count: 256)
        var isEmpty: Bool { byFirst.isEmpty }

        init(_ list: [([Unicode.Scalar], AddedToken)]) {
            for (pattern, token) in list {
                guard let first = pattern.first else { continue }
                byFirst[first.value, default: []].append((pattern, token))
                mayStart[Int(first.value & 0xFF)] = true
            }
        }

        /// The patterns that start with `s`.
        func starting(with s: Unicode.Scalar) -> [([Unicode.Scalar], AddedToken)] {
            mayStart[Int(s.value & 0xFF)] ? byFirst[s.value] ?? [] : []
        }
    }

    init(tokens: [AddedToken], normalizer: (any Normalizer)?) {
        self.tokens = tokens
        var byContent: [ExactString: Int] = [:]
        var byID: [Int: AddedToken] = [:]
        var special: Set<ExactString> = []
        var raw: [([Unicode.Scalar], AddedToken)] = []
        var normalizedList: [([Unicode.Scalar], AddedToken)] = []
        for token in tokens where !token.content.isEmpty {
            byContent[ExactString(token.content)] = token.id
            byID[token.id] = token
            if token.special { special.insert(ExactString(token.content)) }
        }
        for token in byID.values.sorted(by: { $0.id < $1.id }) {
            if token.normalized {
                var text = NormalizedText(token.content)
                normalizer?.normalize(&text)
                normalizedList.append((text.scalars, token))
            } else {
                raw.append((Array(token.content.unicodeScalars), token))
            }
        }
        self.byContent = byContent
        self.byID = byID
        specialContents = special
        rawPatterns = PatternSet(raw)
        normalizedPatterns = PatternSet(normalizedList)
    }

    func id(of content: String) -> Int? { byContent[ExactString(content)] }
    func token(for id: Int) -> AddedToken? { byID[id] }
    func isSpecial(_ content: String) -> Bool { specialContents.contains(ExactString(content)) }

    // MARK: - Extraction

    /// Splits `input` around added tokens and normalizes the rest.
    func extractAndNormalize(_ input: String, normalizer: (any Normalizer)?) -> [TextSplit] {
        var splits = split(NormalizedText(input), patterns: rawPatterns)
        var out: [TextSplit] = []
        for s in splits {
            if s.tokens != nil {
                out.append(s)
                continue
            }
            var text = s.text
            normalizer?.normalize(&text)
            out.append(contentsOf: split(text, patterns: normalizedPatterns))
        }
        splits = out.filter { !$0.text.isEmpty }
        return splits
    }

    private static func isWordChar(_ s: Unicode.Scalar) -> Bool { WhitespacePreTokenizer.isWord(s) }

    private func split(_ text: NormalizedText, patterns: PatternSet) -> [TextSplit] {
        let t = text.scalars
        if patterns.isEmpty || t.isEmpty { return [TextSplit(text: text, tokens: nil)] }
        var result: [TextSplit] = []
        var startOffset = 0
        var i = 0
        while i < t.count {
            // Leftmost-longest match starting at i.
            var best: (Int, AddedToken)? = nil
            for (pattern, token) in patterns.starting(with: t[i]) where i + pattern.count <= t.count {
                if best.map({ pattern.count > $0.0 }) ?? true, t[i..<(i + pattern.count)].elementsEqual(pattern) {
                    best = (pattern.count, token)
                }
            }
            guard let (length, token) = best else {
                i += 1
                continue
            }
            var start = i
            var stop = i + length
            if token.singleWord {
                let startOK = start == 0 || !Self.isWordChar(t[start - 1])
                let stopOK = stop == t.count || !Self.isWordChar(t[stop])
                if !startOK || !stopOK {
                    i = stop
                    continue
                }
            }
            if token.lstrip {
                var s = start
                while s > 0, t[s - 1].isWhiteSpace { s -= 1 }
                start = max(s, startOffset)
            }
            if token.rstrip {
                while stop < t.count, t[stop].isWhiteSpace { stop += 1 }
            }
            if startOffset < start {
                result.append(TextSplit(text: text.slice(startOffset..<start), tokens: nil))
            }
            let piece = text.slice(start..<stop)
            result.append(
                TextSplit(
                    text: piece, tokens: [Token(id: token.id, value: piece.string, range: 0..<piece.count)]))
            startOffset = stop
            i = stop
        }
        if startOffset < t.count {
            result.append(TextSplit(text: text.slice(startOffset..<t.count), tokens: nil))
        }
        return result
    }
}
