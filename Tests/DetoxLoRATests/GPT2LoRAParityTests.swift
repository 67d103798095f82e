// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture script writes)
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// PEFT → Detox on a tiny GPT-2, whose projections are `Conv1D` (`[in, out]` weights): a PEFT
/// adapter on `c_attn`, `c_proj` and `c_fc` loads by module name and gives PEFT's logits, and
/// merging keeps `Conv1D` layers in the checkpoint's layout (fixture from
/// `Scripts/fixtures/make_gpt2_lora_fixtures.py`). Tolerances: logits max |Δ| ≤ 1e-4 (adapter on
/// and merged, each against PEFT).
@Suite struct GPT2LoRAParityTests {
    static let tolerance: Float = 1e-4

    struct Reference: Decodable {
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let position_ids: [[Int]]
        let logits_shape: [Int]
        let logits: [Float]
        let logits_merged: [Float]
        let merged_c_attn_shape: [Int]
    }

    static func folder() throws -> URL {
        try #require(
            Bundle.module.url(forResource: "gpt2-lora", withExtension: nil, subdirectory: "Fixtures"),
            "fixture folder gpt2-lora is missing")
    }

    @Test func peftAdapterOnConv1DLayersMatchesPeft() throws {
        let folder = try Self.folder()
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        let model = try GPT2LMHeadModel.load(folder: folder.appendingPathComponent("base"))
        let configuration = try LoRA.load(from: folder.appendingPathComponent("peft_adapter"), into: model)
        #expect(configuration.rank == 4 && configuration.alpha == 8)
        // c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj in both layers.
        let paths = LoRA.adapters(in: model).map(\.path)
        #expect(paths.count == 8)
        #expect(paths.contains("transformer.h.1.mlp.c_proj"))

        let inputs = try CausalInputs(
            ids: reference.input_ids, mask: reference.attention_mask, vocabularySize: model.vocabularySize)
        #expect(inputs.positions == reference.position_ids.flatMap { $0 })
        let logits = try Tensor.withNoGrad { try model.forward(inputs).logits }
        #expect(logits.shape == reference.logits_shape)
        let mask = reference.attention_mask
        func real(_ values: [Float]) -> [Float] {
            let length = mask[0].count
            let vocabulary = model.vocabularySize
            return mask.enumerated().flatMap { b, row in
                row.enumerated().filter { $0.element == 1 }.flatMap { i, _ in
                    values[((b * length + i) * vocabulary)..<((b * length + i + 1) * vocabulary)]
                }
            }
        }
        let difference = try TestSupport.maxAbsDifference(real(logits.values), real(reference.logits))
        #expect(difference <= Self.tolerance, "adapter logits differ by \(difference)")

        try LoRA.mergeAndUnload(model)
        #expect(LoRA.adapters(in: model).isEmpty)
        #expect(model.stateDict()["transformer.h.0.attn.c_attn.weight"]?.shape == reference.merged_c_attn_shape)
        let merged = try Tensor.withNoGrad { try model.forward(inputs).logits }
        let mergedDifference = try TestSupport.maxAbsDifference(real(merged.values), real(reference.logits_merged))
        #expect(mergedDifference <= Self.tolerance, "merged logits differ by \(mergedDifference)")
    }
}
