// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture script writes)
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// The rotary position embedding: transformers' frequencies and rotation
/// (`Scripts/fixtures/make_llama_fixtures.py`, `rotary_attention.json`: `LlamaRotaryEmbedding` with
/// llama3 scaling, `apply_rotary_pos_emb`, `repeat_kv`, eager attention), its gradient against
/// finite differences, and its inverse.
@Suite struct RotaryTests {
    struct Fixture: Decodable {
        let batch, length, heads, kv_heads, head_dim: Int
        let rope_theta, factor, low_freq_factor, high_freq_factor: Double
        let original_max_position_embeddings: Int
        let inv_freq: [Float]
        let positions: [Int]
        let mask: [[Int]]
        let query, key, value, rotated_query, rotated_key, context: [Float]
    }

    static func load() throws -> Fixture {
        let url = try #require(
            Bundle.module.url(forResource: "rotary_attention", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    static func rotary(_ f: Fixture) -> Rotary {
        Rotary(
            dimension: f.head_dim, base: f.rope_theta,
            scaling: .llama3(
                factor: Float(f.factor), lowFrequencyFactor: Float(f.low_freq_factor),
                highFrequencyFactor: Float(f.high_freq_factor),
                originalMaxPositions: f.original_max_position_embeddings))
    }

    /// Frequencies, rotated queries and keys, and grouped-query attention with the 1/√D scale
    /// folded into the query, against transformers. Tolerance: f32 `pow` and `cos`/`sin` may
    /// differ from torch's vectorized ones by an ulp, so 2e-6 relative on frequencies and 1e-5 on
    /// values of order 1.
    @Test func matchesTransformers() throws {
        let f = try Self.load()
        let rotary = Self.rotary(f)
        #expect(TestSupport.closeness(rotary.inverseFrequencies, f.inv_freq, rtol: 2e-6, atol: 0) == nil)
        let query = Tensor(f.query, shape: [f.batch, f.length, f.heads * f.head_dim])
        let key = Tensor(f.key, shape: [f.batch, f.length, f.kv_heads * f.head_dim])
        let value = Tensor(f.value, shape: key.shape)
        let rotatedQuery = rotary(query, positions: f.positions, headCount: f.heads)
        let rotatedKey = rotary(key, positions: f.positions, headCount: f.kv_heads)
        #expect(TestSupport.closeness(rotatedQuery.values, f.rotated_query, rtol: 1e-5, atol: 1e-5) == nil)
        #expect(TestSupport.closeness(rotatedKey.values, f.rotated_key, rtol: 1e-5, atol: 1e-5) == nil)

        // Causal + padding additive bias [B, 1, L, L], broadcast over the heads.
        try #require(f.mask.count == f.batch)
        var bias = [Float](repeating: 0, count: f.batch * f.length * f.length)
        for b in 0..<f.batch {
            for i in 0..<f.length {
                for j in 0..<f.length where j > i || f.mask[b][j] == 0 {
                    bias[(b * f.length + i) * f.length + j] = -Float.greatestFiniteMagnitude
                }
            }
        }
        let scale = 1 / Float(f.head_dim).squareRoot()
        let context = Attention.multiHead(
            query: rotatedQuery * scale, key: rotatedKey, value: value,
            bias: Tensor(bias, shape: [f.batch, 1, f.length, f.length]), headCount: f.heads,
            keyValueHeadCount: f.kv_heads)
        #expect(TestSupport.closeness(context.values, f.context, rtol: 1e-5, atol: 1e-5) == nil)
    }

    @Test func gradientMatchesFiniteDifferencesAndInverts() throws {
        var generator = SeededGenerator(seed: 31)
        let x = Tensor.randomNormal([2, 3, 2 * 8], generator: &generator)
        let positions = [1, 0, 5, 2, 3, 17]
        let rotary = Rotary(dimension: 8, base: 10000, scaling: .linear(factor: 2))
        let problem = TestSupport.gradientCheck([x], epsilon: 1e-2, rtol: 1e-2, atol: 1e-3) { inputs in
            rotary(inputs[0], positions: positions, headCount: 2)
        }
        #expect(problem == nil)
        // A rotation keeps lengths; position 0 is the identity.
        let rotated = rotary(x, positions: positions, headCount: 2)
        let norm = { (t: [Float]) in t.reduce(0) { $0 + $1 * $1 } }
        #expect(Swift.abs(norm(rotated.values) - norm(x.values)) < 1e-3)
        let row1 = 16..<32
        #expect(Array(rotated.values[row1]) == Array(x.values[row1]))
        // One-row use (a decoding step): the same rotation as the row inside the sequence.
        let step = rotary(x.slice(axis: 1, 2..<3).reshaped([2, 16]), positions: [5, 17], headCount: 2)
        let expected = [Float](rotated.values[32..<48]) + [Float](rotated.values[80..<96])
        #expect(step.values == expected)
    }
}
