// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture script writes)
import DetoxModels
import DetoxTensor
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

    static func reference(_ name: String) throws -> Reference {
        let url = try folder(name).appendingPathComponent("reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
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
