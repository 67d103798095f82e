// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture script writes)
import DetoxModels
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// The decoder-only fixtures written by `Scripts/fixtures/make_gpt2_fixtures.py` (transformers
/// 4.46.3, torch 2.13.0+cpu): tiny random GPT-2 and GPT-Neo models and their reference outputs.
enum CausalFixtures {
    struct Reference: Decodable {
        let prompts: [[Int]]
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let position_ids: [[Int]]
        let labels: [[Int]]
        let logits_shape: [Int]
        let logits: [Float]
        let loss: Float
        let max_new_tokens: Int
        let greedy: [[Int]]
        let min_new_tokens: Int
        let greedy_min: [[Int]]
    }

    static func folder(_ name: String) throws -> URL {
        try #require(
            Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
            "fixture folder \(name) is missing")
    }

    static func reference(_ name: String) throws -> Reference { try reference(Reference.self, name) }

    /// The `reference.json` of fixture folder `name`, decoded as `type`.
    static func reference<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        let url = try folder(name).appendingPathComponent("reference.json")
        return try JSONDecoder().decode(type, from: Data(contentsOf: url))
    }

    /// Checks `model` on the reference batch (position ids from the mask, as the reference's):
    /// the logits at real positions within `logitsTolerance` (max absolute difference) and the
    /// loss within `lossTolerance`.
    static func expectParity(
        _ model: some CausalTransformer, reference: Reference, logitsTolerance: Float, lossTolerance: Float
    ) throws {
        let inputs = try CausalInputs(
            ids: reference.input_ids, mask: reference.attention_mask, vocabularySize: model.vocabularySize)
        #expect(inputs.positions == reference.position_ids.flatMap { $0 })
        let (logits, loss) = try Tensor.withNoGrad { try model.forward(inputs, labels: reference.labels) }
        #expect(logits.shape == reference.logits_shape)
        let vocabulary = model.vocabularySize
        let difference = try TestSupport.maxAbsDifference(
            realPositions(logits.values, mask: reference.attention_mask, vocabulary: vocabulary),
            realPositions(reference.logits, mask: reference.attention_mask, vocabulary: vocabulary))
        #expect(difference <= logitsTolerance, "logits differ by \(difference)")
        let value = try #require(loss).item
        #expect(Swift.abs(value - reference.loss) <= lossTolerance, "loss \(value) vs \(reference.loss)")
    }

    /// The values of `logits` `[B, L, vocab]` at the positions where `mask` is 1, row-major.
    static func realPositions(_ logits: [Float], mask: [[Int]], vocabulary: Int) -> [Float] {
        let length = mask.first?.count ?? 0
        var result: [Float] = []
        for (b, row) in mask.enumerated() {
            for (i, bit) in row.enumerated() where bit == 1 {
                let start = (b * length + i) * vocabulary
                result.append(contentsOf: logits[start..<(start + vocabulary)])
            }
        }
        return result
    }
}
