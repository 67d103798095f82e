// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture script writes)
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// PEFT → Detox on a tiny Qwen2 (biased q/k/v, grouped-query heads; the Llama layers): an adapter
/// saved by peft 0.13.2 on every projection loads by module name and gives PEFT's logits at the
/// real tokens of a left-padded batch (1e-4), its loss (1e-5) and the loss's gradient for every
/// `lora_A` / `lora_B` (1e-4 relative, 1e-6 absolute). Fixture: `qwen2-lora/` from
/// `Scripts/fixtures/make_llama_fixtures.py`.
@Suite struct LlamaLoRAParityTests {
    struct Reference: Decodable {
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let position_ids: [[Int]]
        let labels: [[Int]]
        let logits: [Float]
        let loss: Float
        let gradients: [String: [Float]]
    }

    @Test func peftAdapterGivesPeftLogitsLossAndGradients() throws {
        let folder = try #require(
            Bundle.module.url(forResource: "qwen2-lora", withExtension: nil, subdirectory: "Fixtures"))
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        let model = try LlamaForCausalLM.load(folder: folder.appendingPathComponent("base"))
        let configuration = try LoRA.load(from: folder.appendingPathComponent("peft_adapter"), into: model)
        #expect(configuration.rank == 4 && configuration.alpha == 8 && configuration.taskType == "CAUSAL_LM")
        // Seven projections in the one layer; not lm_head.
        let adapters = LoRA.adapters(in: model)
        #expect(adapters.count == 7)
        #expect(!adapters.contains { $0.path == "lm_head" })

        let output = try model(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
            positionIDs: reference.position_ids, labels: reference.labels)
        let vocabulary = model.settings.vocabularySize
        let real = reference.attention_mask.enumerated().flatMap { b, row in
            row.indices.filter { row[$0] == 1 }.map { b * row.count + $0 }
        }
        try #require(!real.isEmpty)
        func atReal(_ flat: [Float]) -> [Float] {
            real.flatMap { flat[($0 * vocabulary)..<(($0 + 1) * vocabulary)] }
        }
        #expect(output.logits.count == reference.logits.count)
        #expect(
            TestSupport.closeness(atReal(output.logits.values), atReal(reference.logits), rtol: 1e-4, atol: 1e-4) == nil
        )
        let loss = try #require(output.loss)
        #expect(TestSupport.closeness(loss.values, [reference.loss], rtol: 1e-5, atol: 1e-5) == nil)

        let gradients = try loss.backward()
        var checked = 0
        for (path, layer) in adapters {
            for (suffix, parameter) in [("lora_A.weight", layer.loraA.weight), ("lora_B.weight", layer.loraB.weight)] {
                let key = "\(LoRA.filePrefix)\(path).\(suffix)"
                let expected = try #require(reference.gradients[key], "no reference gradient for \(key)")
                let gradient = try #require(gradients[parameter.tensor], "no gradient for \(key)")
                let problem = TestSupport.closeness(gradient.values, expected, rtol: 1e-4, atol: 1e-6)
                #expect(problem == nil, "\(key): \(problem ?? "")")
                checked += 1
            }
        }
        #expect(checked == reference.gradients.count)
        #expect(model.trainableParameters().count == checked)
    }
}
