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
    /// At least `n` repeats of one scalar, as many as there are (`c{n,}`).
    case run(Unicode.Scalar, atLeast: Int)
    case regex(SharedRegex)
    case predicate(@Sendable (Unicode.Scalar) -> Bool)
    /// GPT-2's split expression, hand-compiled (`SplitExpression.gpt2`).
    case gpt2
    /// Qwen2's split expression, hand-compiled (`SplitExpression.qwen2`).
    case qwen2
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
        case .run(let c, let minimum):
            var ranges: [Range<Int>] = []
            var i = 0
            while i < text.count {
                var j = i
                while j < text.count, text[j] == c { j += 1 }
                if j - i >= max(minimum, 1) { ranges.append(i..<j) }
                i = max(j, i + 1)
            }
            return Self.fill(ranges, count: text.count)
        case .regex(let shared):
            return Self.fill(Self.regexMatches(shared.regex, in: text), count: text.count)
        case .gpt2:
            return SplitExpression.gpt2(text).map { Match(range: $0, isMatch: true) }
        case .qwen2:
            return SplitExpression.qwen2(text).map { Match(range: $0, isMatch: true) }
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
