/// What detoxification cost in fluency and diversity: the continuations before and after, measured
/// the same way (``ComparisonSummary/cost``).
public struct GenerationCost: Sendable, Codable, Equatable {
    /// `exp` of the mean negative log-likelihood of the continuation tokens given their prompts,
    /// under the original (before) model, over every continuation token of the set.
    public var perplexityBefore: Double
    public var perplexityAfter: Double
    /// Distinct-1 and distinct-2 (``Diversity/distinct(_:n:)``); `nil` when no continuation has
    /// an n-gram.
    public var distinct1Before: Double?
    public var distinct1After: Double?
    public var distinct2Before: Double?
    public var distinct2After: Double?

    /// The diversity of `before` and `after` continuations and the given perplexities.
    public init(perplexityBefore: Double, perplexityAfter: Double, before: [String], after: [String]) {
        self.perplexityBefore = perplexityBefore
        self.perplexityAfter = perplexityAfter
        distinct1Before = Diversity.distinct(before, n: 1)
        distinct1After = Diversity.distinct(after, n: 1)
        distinct2Before = Diversity.distinct(before, n: 2)
        distinct2After = Diversity.distinct(after, n: 2)
    }

    enum CodingKeys: String, CodingKey {
        case perplexityBefore = "perplexity_before"
        case perplexityAfter = "perplexity_after"
        case distinct1Before = "distinct_1_before"
        case distinct1After = "distinct_1_after"
        case distinct2Before = "distinct_2_before"
        case distinct2After = "distinct_2_after"
    }
}

/// Lexical diversity of generated text.
public enum Diversity {
    /// Distinct-n (Li et al., 2016): the number of unique word n-grams over the total number of
    /// word n-grams of all `texts` together, words split at whitespace and n-grams not crossing a
    /// text's end; `nil` when there is no n-gram (or `n` is below 1).
    public static func distinct(_ texts: [String], n: Int) -> Double? {
        guard n >= 1 else { return nil }
        var unique = Set<[Substring]>()
        var total = 0
        for text in texts {
            let words = text.split(whereSeparator: \.isWhitespace)
            guard words.count >= n else { continue }
            for start in 0...(words.count - n) {
                unique.insert(Array(words[start..<(start + n)]))
                total += 1
            }
        }
        return total == 0 ? nil : Double(unique.count) / Double(total)
    }
}
