import Foundation

/// A compiled regular expression that can be shared across threads (`NSRegularExpression` is
/// immutable and documented thread-safe).
final class SharedRegex: @unchecked Sendable {
    let regex: NSRegularExpression
    let pattern: String

    init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try NSRegularExpression(pattern: pattern, options: [])
    }
}

/// What splitters and `Replace` look for (tokenizers' `Pattern`): one character, a literal string,
/// a regular expression, a character class, or the GPT-2 byte-level pre-tokenization expression.
enum TextPattern: Sendable {
    case scalar(Unicode.Scalar)
    case literal([Unicode.Scalar])
    case regex(SharedRegex)
    case predicate(@Sendable (Unicode.Scalar) -> Bool)
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, hand-compiled.
    case gpt2
    /// Matches computed elsewhere (used by inverted splits).
    case precomputed([Match])

    struct Match: Sendable {
        var range: Range<Int>
        var isMatch: Bool
    }

    /// Every match and every gap between matches, in order, covering `text` (empty text gives one
    /// empty non-match), like tokenizers' `Pattern::find_matches`.
    func findMatches(in text: [Unicode.Scalar]) -> [Match] {
        if text.isEmpty { return [Match(range: 0..<0, isMatch: false)] }
        switch self {
        case .scalar(let c):
            return Self.perScalar(text) { $0 == c }
        case .predicate(let test):
            return Self.perScalar(text, test)
        case .literal(let needle):
            if needle.isEmpty { return [Match(range: 0..<text.count, isMatch: false)] }
            var ranges: [Range<Int>] = []
            var i = 0
            while i + needle.count <= text.count {
                if text[i] == needle[0], Array(text[i..<(i + needle.count)]) == needle {
                    ranges.append(i..<(i + needle.count))
                    i += needle.count
                } else {
                    i += 1
                }
            }
            return Self.fill(ranges, count: text.count)
        case .regex(let shared):
            return Self.fill(Self.regexMatches(shared.regex, in: text), count: text.count)
        case .gpt2:
            return GPT2Splitter.split(text).map { Match(range: $0, isMatch: true) }
        case .precomputed(let matches):
            return matches
        }
    }

    // MARK: - Helpers

    private static func perScalar(_ text: [Unicode.Scalar], _ test: (Unicode.Scalar) -> Bool) -> [Match] {
        var out: [Match] = []
        var gapStart = 0
        for (i, s) in text.enumerated() where test(s) {
            if gapStart < i { out.append(Match(range: gapStart..<i, isMatch: false)) }
            out.append(Match(range: i..<(i + 1), isMatch: true))
            gapStart = i + 1
        }
        if gapStart < text.count { out.append(Match(range: gapStart..<text.count, isMatch: false)) }
        return out
    }

    private static func fill(_ ranges: [Range<Int>], count: Int) -> [Match] {
        var out: [Match] = []
        var previous = 0
        for r in ranges {
            if previous != r.lowerBound { out.append(Match(range: previous..<r.lowerBound, isMatch: false)) }
            out.append(Match(range: r, isMatch: true))
            previous = r.upperBound
        }
        if previous != count { out.append(Match(range: previous..<count, isMatch: false)) }
        return out
    }

    /// Runs an ICU regular expression and converts its UTF-16 ranges to scalar indices.
    private static func regexMatches(_ regex: NSRegularExpression, in text: [Unicode.Scalar]) -> [Range<Int>] {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: text)
        let string = String(view)
        // utf16 offset -> scalar index
        var scalarAt: [Int] = []
        scalarAt.reserveCapacity(text.count * 2 + 1)
        for (i, s) in text.enumerated() {
            scalarAt.append(i)
            if s.value > 0xFFFF { scalarAt.append(i) }
        }
        scalarAt.append(text.count)
        let all = NSRange(location: 0, length: scalarAt.count - 1)
        return regex.matches(in: string, options: [], range: all).compactMap { m in
            let r = m.range
            guard r.location != NSNotFound, r.location + r.length < scalarAt.count else { return nil }
            return scalarAt[r.location]..<scalarAt[r.location + r.length]
        }
    }
}

// MARK: - GPT-2 pre-tokenization expression

/// The GPT-2 split expression, matched by hand over Unicode scalars (Oniguruma semantics:
/// ordered alternation, greedy runs, `\s` = White_Space).
enum GPT2Splitter {
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    static func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }

    static func split(_ t: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        let n = t.count
        func run(from start: Int, _ test: (Unicode.Scalar) -> Bool) -> Int {
            var j = start
            while j < n, test(t[j]) { j += 1 }
            return j
        }
        while i < n {
            let c = t[i]
            // 's 't 're 've 'm 'll 'd
            if c == "'", i + 1 < n {
                let a = t[i + 1]
                if a == "s" || a == "t" || a == "m" || a == "d" {
                    out.append(i..<(i + 2))
                    i += 2
                    continue
                }
                if i + 2 < n {
                    let b = t[i + 2]
                    if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") {
                        out.append(i..<(i + 3))
                        i += 3
                        continue
                    }
                }
            }
            let body = (c == " " && i + 1 < n) ? i + 1 : i
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            var matched = false
            for test in [isLetter, isNumber, isOther] as [(Unicode.Scalar) -> Bool] {
                if test(t[body]) {
                    let end = run(from: body, test)
                    out.append(i..<end)
                    i = end
                    matched = true
                    break
                }
                if body != i, test(c) {
                    let end = run(from: i, test)
                    out.append(i..<end)
                    i = end
                    matched = true
                    break
                }
            }
            if matched { continue }
            // `\s+(?!\S)` then `\s+`
            if isSpace(c) {
                let end = run(from: i, isSpace)
                if end == n {
                    out.append(i..<end)
                    i = end
                } else if end - i >= 2 {
                    out.append(i..<(end - 1))
                    i = end - 1
                } else {
                    out.append(i..<end)
                    i = end
                }
                continue
            }
            out.append(i..<(i + 1))
            i += 1
        }
        return out
    }
}
