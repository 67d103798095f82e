import Foundation
import Testing

@testable import DetoxEvaluation

/// Parity with rouge-score 0.1.2 `RougeScorer` on the fixture corpus: every token list exactly,
/// every precision, recall and F-measure to 1e-6 absolute.
@Suite struct RougeParityTests {
    /// Absolute tolerance on every score.
    static let tolerance = 1e-6

    static func types(_ names: [String]) throws -> [RougeType] {
        try names.map { try RougeType(name: $0) }
    }

    static func describe(_ s: RougeScore) -> String {
        "[\(s.precision), \(s.recall), \(s.fmeasure)]"
    }

    static func matches(_ s: RougeScore?, _ expected: [Double]?) -> Bool {
        guard let s, let expected, expected.count == 3 else { return false }
        return abs(s.precision - expected[0]) <= tolerance && abs(s.recall - expected[1]) <= tolerance
            && abs(s.fmeasure - expected[2]) <= tolerance
    }

    // MARK: - Tokenizer

    @Test(arguments: RougeFixtures.settings.map(\.useStemmer))
    func tokenization(useStemmer: Bool) throws {
        let fixture = try RougeFixtures.scores()
        let key = useStemmer ? "stemmed" : "plain"
        let tokenizer = RougeTokenizer(useStemmer: useStemmer)
        var failures = 0
        var first: String? = nil
        try #require(!fixture.pairs.isEmpty, "the fixture has no pairs")
        for pair in fixture.pairs {
            let expected = try #require(pair.tokens[key])
            let actual = [tokenizer.tokenize(pair.target), tokenizer.tokenize(pair.prediction)]
            if actual != expected {
                failures += 1
                if first == nil {
                    first =
                        "pair \(pair.id) \(String(reflecting: pair.target)) / \(String(reflecting: pair.prediction)): \(actual) vs \(expected)"
                }
            }
        }
        #expect(
            failures == 0,
            "\(key): \(failures) of \(fixture.pairs.count) pairs tokenize differently; first: \(first ?? "")")
    }

    // MARK: - Scores

    @Test(arguments: RougeFixtures.settings.map(\.useStemmer))
    func pairScores(useStemmer: Bool) throws {
        let fixture = try RougeFixtures.scores()
        #expect(fixture.rouge_score_version == "0.1.2")
        #expect(fixture.pairs.count >= 300)
        let key = useStemmer ? "stemmed" : "plain"
        let types = try Self.types(fixture.types)
        let scorer = try RougeScorer(types: types, useStemmer: useStemmer)
        var failures = 0
        var first: String? = nil
        var maxError = 0.0
        var exact = 0
        var total = 0
        try #require(!fixture.pairs.isEmpty, "the fixture has no pairs")
        for pair in fixture.pairs {
            let scores = scorer.score(target: pair.target, prediction: pair.prediction)
            let expected = try #require(pair.scores[key])
            for type in types {
                let e = expected[type.name]
                let s = scores[type]
                if let s, let e, e.count == 3 {
                    let actual = [s.precision, s.recall, s.fmeasure]
                    for k in 0..<3 {
                        maxError = max(maxError, abs(actual[k] - e[k]))
                        total += 1
                        if actual[k] == e[k] { exact += 1 }
                    }
                }
                if !Self.matches(s, e) {
                    failures += 1
                    if first == nil {
                        first =
                            "pair \(pair.id) \(type.name) \(String(reflecting: pair.target)) / \(String(reflecting: pair.prediction)): \(s.map(Self.describe) ?? "nil") vs \(e ?? [])"
                    }
                }
            }
        }
        #expect(
            failures == 0, "\(key): \(failures) scores differ by more than \(Self.tolerance); first: \(first ?? "")")
        // Same operations in the same order as Python: expected to agree to the last bit.
        print("ROUGE \(key): \(total) numbers, \(exact) bit-identical, max |error| \(maxError)")
    }

    /// Scoring with only ROUGE-Lsum skips the whole-text tokenization (as rouge-score does); the
    /// result must not change.
    @Test func lsumAloneMatches() throws {
        let fixture = try RougeFixtures.scores()
        for (key, useStemmer) in RougeFixtures.settings {
            let scorer = try RougeScorer(types: [.rougeLsum], useStemmer: useStemmer)
            try #require(!fixture.pairs.isEmpty, "the fixture has no pairs")
            for pair in fixture.pairs {
                let s = scorer.score(target: pair.target, prediction: pair.prediction)[.rougeLsum]
                let ok = Self.matches(s, pair.scores[key]?["rougeLsum"])
                #expect(ok, "\(key) pair \(pair.id): \(s.map(Self.describe) ?? "nil")")
                if !ok { return }
            }
        }
    }

    @Test func scoreMultiPicksBestTarget() throws {
        let fixture = try RougeFixtures.scores()
        let types = try Self.types(fixture.types)
        for (key, useStemmer) in RougeFixtures.settings {
            let scorer = try RougeScorer(types: types, useStemmer: useStemmer)
            try #require(!fixture.multi.isEmpty, "the fixture has no multi-reference entries")
            for (index, entry) in fixture.multi.enumerated() {
                let scores = try scorer.scoreMulti(targets: entry.targets, prediction: entry.prediction)
                for type in types {
                    let ok = Self.matches(scores[type], entry.scores[key]?[type.name])
                    #expect(
                        ok,
                        "\(key) multi \(index) \(type.name): \(scores[type].map(Self.describe) ?? "nil") vs \(entry.scores[key]?[type.name] ?? [])"
                    )
                    if !ok { return }
                }
            }
        }
    }

    // MARK: - Aggregate

    @Test func meanOverCorpus() throws {
        let fixture = try RougeFixtures.scores()
        let types = try Self.types(fixture.types)
        for (key, useStemmer) in RougeFixtures.settings {
            let scorer = try RougeScorer(types: types, useStemmer: useStemmer)
            let aggregate = try scorer.aggregate(
                targets: fixture.pairs.map(\.target), predictions: fixture.pairs.map(\.prediction))
            let meanF = try scorer.meanFMeasure(
                targets: fixture.pairs.map(\.target), predictions: fixture.pairs.map(\.prediction))
            let expected = try #require(fixture.aggregate[key])
            for type in types {
                let e = expected.mean[type.name]
                #expect(
                    Self.matches(aggregate[type], e),
                    "\(key) \(type.name) mean: \(aggregate[type].map(Self.describe) ?? "nil") vs \(e ?? [])")
                #expect(meanF[type] == aggregate[type]?.fmeasure)
            }
        }
    }
}
