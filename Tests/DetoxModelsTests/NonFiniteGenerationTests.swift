import DetoxModels
import DetoxNN
import DetoxTensor
import Foundation
import Testing

/// A model whose weights hold NaN or infinity must stop generation with an error naming the step,
/// not return empty or arbitrary text (greedy arg-max over NaN picks token 0, which is often EOS
/// or padding).
@Suite struct NonFiniteGenerationTests {
    /// Sets every element of the parameters whose name contains `fragment` to `value`; returns how
    /// many parameters were changed.
    @discardableResult
    static func poison(_ model: any Module, _ fragment: String, with value: Float) -> Int {
        let targets = model.parameters().filter { $0.name.contains(fragment) }
        for (_, parameter) in targets { parameter.assign(Tensor.full(parameter.shape, value)) }
        return targets.count
    }

    static func expectNonFinite(step expectedStep: Int, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("generation succeeded on a broken model")
        } catch ModelError.nonFiniteLogits(let step, _, let value) {
            #expect(step == expectedStep)
            #expect(!value.isFinite)
        } catch {
            Issue.record("expected nonFiniteLogits, got \(error)")
        }
    }

    @Test("T5 with NaN weights: greedy and sampled generation fail at step 1", arguments: ["nan", "inf"])
    func t5(kind: String) throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let g = try T5Fixtures.reference("t5-gated-untied").greedy
        try #require(Self.poison(model, "final_layer_norm", with: kind == "nan" ? .nan : .infinity) > 0)
        Self.expectNonFinite(step: 1) {
            _ = try model.generate(inputIDs: g.input_ids, configuration: .greedy(maxNewTokens: 4))
        }
        var generator = SeededGenerator(seed: 3)
        Self.expectNonFinite(step: 1) {
            _ = try model.generate(
                inputIDs: g.input_ids, configuration: GenerationConfig(doSample: true, topK: 0, maxNewTokens: 4),
                generator: &generator)
        }
    }

    @Test("decoder-only models with NaN weights fail at step 1", arguments: CausalGenerationTests.families)
    func causal(name: String) throws {
        let model = try CausalGenerationTests.load(name)
        let reference = try CausalFixtures.reference(name)
        try #require(Self.poison(model, "ln_f", with: .nan) > 0)
        Self.expectNonFinite(step: 1) {
            _ = try model.generate(
                inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
                configuration: .greedy(maxNewTokens: 3))
        }
    }

    @Test("the finiteness scan finds the first NaN or infinity at any position, and passes -0 and extremes")
    func scan() {
        for count in [0, 1, 7, 8, 9, 31, 64] {
            var row = (0..<count).map { Float($0) * -1.5 }
            row.withUnsafeBufferPointer { #expect(LogitsProcessing.firstNonFinite($0) == nil, "\(count)") }
            if count > 0 {
                row[0] = -0.0
                row[count - 1] = .greatestFiniteMagnitude
                row.withUnsafeBufferPointer { #expect(LogitsProcessing.firstNonFinite($0) == nil) }
            }
            for position in 0..<count {
                for bad in [Float.nan, .infinity, -.infinity] {
                    var broken = row
                    broken[position] = bad
                    let found = broken.withUnsafeBufferPointer { LogitsProcessing.firstNonFinite($0)?.index }
                    #expect(found == position, "\(bad) at \(position) of \(count)")
                }
            }
        }
    }
}
