// Port of the split expressions of tokenizers src/pre_tokenizers/byte_level.rs (v0.20.3) and of
// transformers src/transformers/models/qwen2/tokenization_qwen2.py (v4.46.3), `PRETOKENIZE_REGEX`,
// matched by hand over Unicode scalars with Oniguruma's semantics (ordered alternation, greedy
// runs with backtracking, `\s` = White_Space).

extension Unicode.Scalar {
    /// The White_Space property (Rust's `char::is_whitespace`, Oniguruma's `\s`), with ASCII
    /// answered without the property tables.
    var isWhiteSpace: Bool { isASCII ? self == " " || (0x09...0x0D).contains(value) : properties.isWhitespace }
}

/// The classes the split expressions test: `\p{L}`, `\p{N}`, `\s` and everything else.
enum ScalarClass: Equatable {
    case letter, number, space, other

    init(_ s: Unicode.Scalar) {
        let v = s.value
        if v < 0x80 {
            switch v {
            case 0x61...0x7A, 0x41...0x5A: self = .letter
            case 0x30...0x39: self = .number
            case 0x09...0x0D, 0x20: self = .space
            default: self = .other
            }
            return
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        default: self = s.isWhiteSpace ? .space : .other
        }
    }
}

/// The hand-compiled split expressions, each returning the matched ranges in order; both
/// expressions match every scalar, so the ranges cover the text.
enum SplitExpression {
    /// GPT-2's expression as `tokenizer.json` spells it.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    /// Qwen2's expression as `tokenizer.json` spells it.
    static let qwen2Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// The expressions that have a hand-compiled matcher, by their spelling (` {2,}` is T5's
    /// `Replace` of repeated spaces).
    static let compiled: [String: TextPattern] = [
        gpt2Pattern: .gpt2, qwen2Pattern: .qwen2, " {2,}": .run(" ", atLeast: 2),
    ]

    /// GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    static func gpt2(_ t: [Unicode.Scalar]) -> [Range<Int>] {
        matches(t, ignoringCase: false) { i in
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: one class after an optional space.
            var body = i
            var bodyClass = ScalarClass(t[i])
            if t[i] == " ", i + 1 < t.count {
                let next = ScalarClass(t[i + 1])
                if next != .space {
                    body = i + 1
                    bodyClass = next
                }
            }
            return bodyClass == .space ? spaces(t, at: i) : run(t, from: body + 1, of: bodyClass)
        }
    }

    /// Qwen2's `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|`
    /// `\s*[\r\n]+|\s+(?!\S)|\s+`.
    static func qwen2(_ t: [Unicode.Scalar]) -> [Range<Int>] {
        matches(t, ignoringCase: true) { i in
            let c = t[i]
            let cls = ScalarClass(c)
            let next = i + 1 < t.count ? ScalarClass(t[i + 1]) : nil
            if cls == .letter { return run(t, from: i + 1, of: .letter) }
            if cls != .number, !isLineBreak(c), next == .letter { return run(t, from: i + 2, of: .letter) }
            if cls == .number { return i + 1 }
            if cls == .other || (c == " " && next == .other) {
                var j = run(t, from: i + 1, of: .other)
                while j < t.count, isLineBreak(t[j]) { j += 1 }
                return j
            }
            // `\s*[\r\n]+` ends after the run's last line break; otherwise as GPT-2.
            let stop = run(t, from: i + 1, of: .space)
            var lastBreak = stop - 1
            while lastBreak >= i, !isLineBreak(t[lastBreak]) { lastBreak -= 1 }
            return lastBreak >= i ? lastBreak + 1 : spaces(t, at: i)
        }
    }

    /// The consecutive matches from the start of `t`: a contraction where there is one, otherwise
    /// the match that ends where `end(at:)` says.
    private static func matches(
        _ t: [Unicode.Scalar], ignoringCase: Bool, end: (_ at: Int) -> Int
    ) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(t.count / 3 + 1)
        var i = 0
        while i < t.count {
            let stop = contraction(t, at: i, ignoringCase: ignoringCase) ?? end(i)
            out.append(i..<stop)
            i = stop
        }
        return out
    }

    // MARK: - Pieces

    private static func isLineBreak(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }

    /// The end of the run of `cls` scalars from `start`.
    private static func run(_ t: [Unicode.Scalar], from start: Int, of cls: ScalarClass) -> Int {
        var j = start
        while j < t.count, ScalarClass(t[j]) == cls { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at a space: the whole run at the end of the text, else all of it but the
    /// last scalar (which then starts the next match), else one scalar.
    private static func spaces(_ t: [Unicode.Scalar], at i: Int) -> Int {
        let stop = run(t, from: i + 1, of: .space)
        return stop == t.count || stop - i < 2 ? stop : stop - 1
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i`, case-insensitively (Unicode simple case folding, so
    /// `ſ` is an `s`) when asked: the match's end.
    private static func contraction(_ t: [Unicode.Scalar], at i: Int, ignoringCase: Bool) -> Int? {
        guard t[i] == "'", i + 1 < t.count else { return nil }
        func letter(_ k: Int) -> Unicode.Scalar? {
            guard k < t.count else { return nil }
            let s = t[k]
            guard ignoringCase else { return s }
            if s == "\u{17F}" { return "s" }
            return (0x41...0x5A).contains(s.value) ? Unicode.Scalar(s.value + 0x20) : s
        }
        switch letter(i + 1) {
        case "s", "t", "m", "d": return i + 2
        case "r", "v": return letter(i + 2) == "e" ? i + 3 : nil
        case "l": return letter(i + 2) == "l" ? i + 3 : nil
        default: return nil
        }
    }
}
