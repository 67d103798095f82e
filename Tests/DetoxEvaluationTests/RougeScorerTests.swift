import Foundation
import Testing

@testable import DetoxEvaluation

/// Behaviour of the ROUGE API that the fixtures do not cover: names, errors, rouge-score's own
/// unit-test examples, n > 9.
@Suite struct RougeScorerTests {
    static let tolerance = 1e-12

    @Test func namesRoundTrip() throws {
        for name in ["rouge1", "rouge2", "rouge9", "rouge12", "rougeL", "rougeLsum"] {
            #expect(try RougeType(name: name).name == name)
        }
        #expect(try RougeType(name: "rouge1") == .rouge1)
        #expect(RougeType.rouge2 == .rougeN(2))
    }

    @Test(arguments: ["rouge0", "rouge", "rougel", "rougeLSum", "rouge-1", "rouge1a", "bleu", ""])
    func badNamesThrow(name: String) {
        #expect(throws: EvaluationError.self) { try RougeType(name: name) }
    }

    @Test func badSettingsThrow() throws {
        #expect(throws: EvaluationError.self) { try RougeScorer(types: []) }
        #expect(throws: EvaluationError.self) { try RougeScorer(types: [.rougeN(0)]) }
        let scorer = try RougeScorer()
        #expect(throws: EvaluationError.self) { try scorer.scoreMulti(targets: [], prediction: "a") }
        #expect(throws: EvaluationError.mismatchedInputs(what: "ROUGE predictions per target", expected: 2, actual: 1))
        {
            try scorer.aggregate(targets: ["a", "b"], predictions: ["a"])
        }
        #expect(throws: EvaluationError.self) { try scorer.aggregate(targets: [], predictions: []) }
    }

    /// rouge-score's `rouge_scorer_test.py` examples.
    @Test func rougeScoreUnitExamples() throws {
        let scorer = try RougeScorer(types: [.rouge1, .rouge2, .rougeL])
        let s = scorer.score(target: "testing one two", prediction: "testing one two")
        for type in [RougeType.rouge1, .rouge2, .rougeL] {
            #expect(s[type] == RougeScore(precision: 1, recall: 1, fmeasure: 1))
        }
        let partial = scorer.score(target: "testing one two", prediction: "testing")
        let r1 = try #require(partial[.rouge1])
        #expect(abs(r1.precision - 1) < Self.tolerance && abs(r1.recall - 1.0 / 3) < Self.tolerance)
        #expect(abs(r1.fmeasure - 0.5) < Self.tolerance)
        #expect(partial[.rouge2] == .zero)

        let lsum = try RougeScorer(types: [.rougeLsum])
        let w = lsum.score(target: "w1 w2 w3 w4 w5", prediction: "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5")[.rougeLsum]
        let ws = try #require(w)
        #expect(abs(ws.recall - 0.8) < Self.tolerance && abs(ws.precision - 0.4) < Self.tolerance)
        #expect(abs(ws.fmeasure - 2 * 0.8 * 0.4 / 1.2) < Self.tolerance)
    }

    @Test func emptySidesScoreZero() throws {
        let scorer = try RougeScorer()
        for (t, p) in [("", ""), ("a b", ""), ("", "a b"), ("!!!", "a"), ("\n\n", "a\nb")] {
            for (type, s) in scorer.score(target: t, prediction: p) {
                #expect(s == .zero, "\(type) \(String(reflecting: t)) / \(String(reflecting: p))")
            }
        }
    }

    /// n beyond rouge-score's single digit: a 12-gram present once in each text.
    @Test func longNGrams() throws {
        let words = (1...15).map { "w\($0)" }
        let target = words.joined(separator: " ")
        let prediction = words[0..<12].joined(separator: " ")
        let s = try RougeScorer(types: [.rougeN(12), .rougeN(13), .rougeN(16)])
            .score(target: target, prediction: prediction)
        #expect(s[.rougeN(12)]?.precision == 1)
        #expect(abs((s[.rougeN(12)]?.recall ?? 0) - 1.0 / 4) < Self.tolerance)
        #expect(s[.rougeN(13)] == .zero)
        #expect(s[.rougeN(16)] == .zero)
    }

    @Test func tokenizerUnicodeAndStemming() {
        #expect(
            RougeTokenizer().tokenize("İstanbul \u{212A}elvin Café 你好 x²") == ["i", "stanbul", "kelvin", "caf", "x"])
        #expect(
            RougeTokenizer(useStemmer: true).tokenize("The skies were DYING, generously.") == [
                "the", "sky", "were", "die", "gener",
            ])
    }
}
