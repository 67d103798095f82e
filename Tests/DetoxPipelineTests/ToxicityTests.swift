// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxEvaluation
import DetoxPipeline
import DetoxTestSupport
import Foundation
import Testing

/// Toxicity as Hugging Face `evaluate`'s `toxicity` measurement computes it: the softmax
/// probability of the toxic label from `pipeline("text-classification", truncation=True)`, on a
/// tiny RoBERTa with a byte-level BPE tokenizer (`Scripts/fixtures/make_toxicity_fixtures.py`).
/// Tolerance: the classifiers' logit tolerance, 1e-4, on the log-odds `log(p / (1 − p))` (this
/// model's weights are large on purpose to spread the probabilities, so float32 differences of
/// ~5e-5 in the logits are expected), and 5e-5 absolute on the probabilities.
@Suite struct ToxicityTests {
    struct Expected: Decodable {
        let texts: [String]
        let toxicity: [Double]
        let max_toxicity: Double
        let toxicity_ratio: Double
    }

    @Test func matchesEvaluateToxicity() throws {
        let folder = try #require(
            Bundle.module.url(forResource: "toxicity", withExtension: nil, subdirectory: "Fixtures"))
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        let scores = try EvaluateStage.toxicity(expected.texts, classifierFolder: folder, label: "hate")
        try #require(scores.count == expected.toxicity.count)
        func logOdds(_ p: Double) -> Double { Foundation.log(p) - Foundation.log1p(-p) }
        try #require(!expected.toxicity.isEmpty, "the fixture has no toxicity")
        for (i, (ours, theirs)) in zip(scores, expected.toxicity).enumerated() {
            #expect(Swift.abs(ours - theirs) <= 5e-5, "text \(i): \(ours) vs \(theirs)")
            if theirs > 1e-12 && theirs < 1 - 1e-6 {
                #expect(Swift.abs(logOdds(ours) - logOdds(theirs)) <= 1e-4, "text \(i): log-odds differ")
            }
        }
        #expect(Swift.abs((ToxicityAggregation.maximum.apply(scores).first ?? 0) - expected.max_toxicity) <= 5e-5)
        #expect(ToxicityAggregation.ratio(threshold: 0.5).apply(scores).first == expected.toxicity_ratio)
        #expect(throws: Error.self) { try EvaluateStage.toxicity(["x"], classifierFolder: folder, label: "offensive") }
    }
}
