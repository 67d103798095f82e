// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxModels
import DetoxTensor
import Foundation
import Testing

/// The Llama / Qwen2 fixtures written by `Scripts/fixtures/make_llama_fixtures.py`
/// (transformers 4.46.3, torch 2.13.0+cpu): tiny random models (hidden 64, 2 layers, 4 heads over
/// 2 key/value heads of 16) and their outputs on one left-padded batch.
enum LlamaFixtures {
    /// Untied Llama saved as `pytorch_model.bin`; tied Llama with llama3 rope scaling; Llama with
    /// attention and MLP biases and linear rope scaling saved in bf16; tied Qwen2.
    static let modelNames = ["llama-untied", "llama-tied-llama3", "llama-bias-bf16", "qwen2-tied"]

    struct Reference: Decodable {
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let position_ids: [[Int]]
        let labels: [[Int]]
        let logits: [Float]
        let hidden: [Float]
        let loss: Float
        let max_new_tokens: Int
        let generated: [[Int]]
        /// The loss's gradient for a few weights, by parameter name.
        let gradients: [String: [Float]]

        /// Flat indices `[B·L]` of the real (unpadded) tokens.
        var realTokens: [Int] {
            attention_mask.enumerated().flatMap { b, row in
                row.indices.filter { row[$0] == 1 }.map { b * row.count + $0 }
            }
        }

        /// The values of `flat` (`[B·L·width]`) at the real tokens only.
        func atRealTokens(_ flat: [Float], width: Int) -> [Float] {
            realTokens.flatMap { flat[($0 * width)..<(($0 + 1) * width)] }
        }
    }

    static func folder(_ name: String) throws -> URL { try CausalFixtures.folder(name) }

    static func reference(_ name: String) throws -> Reference { try CausalFixtures.reference(Reference.self, name) }
}
