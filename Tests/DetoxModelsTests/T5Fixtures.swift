// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxModels
import DetoxTensor
import Foundation
import Testing

/// The T5 fixtures written by `Scripts/fixtures/make_t5_fixtures.py` (transformers 4.46.3,
/// torch 2.13.0+cpu, trl 0.11.4): tiny random models and their reference outputs.
enum T5Fixtures {
    /// Model folders: ReLU + tied embeddings (2/2 layers, 8 buckets), gated-gelu + untied `lm_head`
    /// (2 encoder / 3 decoder layers, 16 buckets), gated-gelu + tied (32 buckets, max distance 128).
    static let modelNames = ["t5-relu-tied", "t5-gated-untied", "t5-gated-tied"]
    /// Folders that also hold `pytorch_model.bin`.
    static let modelsWithBin = ["t5-relu-tied", "t5-gated-untied"]

    struct Reference: Decodable {
        struct Forward: Decodable {
            let input_ids: [[Int]]
            let attention_mask: [[Int]]
            let labels: [[Int]]
            let decoder_input_ids: [[Int]]
            let encoder_last_hidden_state: [Float]
            let encoder_shape: [Int]
            let logits: [Float]
            let logits_shape: [Int]
            let loss: Float
            let decoder_last_hidden_state: [Float]
        }
        struct TeacherForced: Decodable {
            let decoder_input_ids: [[Int]]
            let decoder_attention_mask: [[Int]]
            let logits: [Float]
            let token_logprobs: [Float]
            let decoder_last_hidden_state: [Float]
            let values: [Float]
            let v_head_keys: [String]
        }
        struct Greedy: Decodable {
            struct MinNew: Decodable {
                let max_new_tokens: Int
                let min_new_tokens: Int
                let sequences: [[Int]]
            }
            let input_ids: [[Int]]
            let attention_mask: [[Int]]
            let max_new_tokens: Int
            let sequences: [[Int]]
            let unpadded_single_sequences: [[Int]]
            let min_new_tokens_case: MinNew
        }
        let name: String
        let forward: Forward
        let teacher_forced: TeacherForced
        let greedy: Greedy
    }

    static func folder(_ name: String) throws -> URL {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
            "fixture folder \(name) is missing")
        return url
    }

    static func reference(_ name: String) throws -> Reference {
        let url = try folder(name).appendingPathComponent("reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    static func model(_ name: String) throws -> T5ForConditionalGeneration {
        try T5ForConditionalGeneration.load(folder: folder(name))
    }

    /// Drops trailing pad (0) tokens after the first EOS of a generated row, as a batch-1 run returns it.
    static func trimmed(_ row: [Int], eos: Int = 1) -> [Int] {
        guard let end = row.dropFirst().firstIndex(of: eos) else { return row }
        return Array(row[...end])
    }
}
