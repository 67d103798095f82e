import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Testing

@testable import DetoxModels

/// The cached decoding path of the Llama layers (prefill writing rotated keys and values into
/// per-layer buffers, then one-token steps with grouped-query `StepAttention`), driven by a plain
/// greedy loop, against transformers' greedy `generate` ids on the left-padded fixture batch
/// (`Scripts/fixtures/make_llama_fixtures.py`): exact ids.
@Suite struct LlamaStepTests {
    /// Index of the first largest value of each `[vocab]` row, as `torch.argmax`.
    static func argmax(_ logits: Tensor, rows: Int) -> [Int] {
        let vocabulary = logits.count / rows
        let values = logits.values
        return (0..<rows).map { r in
            let row = values[(r * vocabulary)..<((r + 1) * vocabulary)]
            var best = row.startIndex
            for i in row.indices where row[i] > row[best] { best = i }
            return best - r * vocabulary
        }
    }

    @Test(arguments: LlamaFixtures.modelNames)
    func cachedGreedyDecodingMatchesGenerate(name: String) throws {
        let reference = try LlamaFixtures.reference(name)
        let model = try LlamaForCausalLM.load(folder: LlamaFixtures.folder(name))
        let s = model.settings
        let pad = try #require(s.padTokenID)
        let eos = try #require(s.eosTokenID)
        let batch = reference.input_ids.count
        try #require(batch > 0)
        let length = reference.input_ids[0].count
        let capacity = length + reference.max_new_tokens
        let caches = (0..<s.layerCount).map { _ in
            KeyValueBuffer(batch: batch, capacity: capacity, width: s.keyValueWidth)
        }
        var sequences = reference.input_ids
        var maskRows = reference.attention_mask.map { row in
            row.map { $0 == 1 ? Float(0) : -Float.greatestFiniteMagnitude }
        }
        var positions = reference.position_ids.map { ($0.last ?? 0) + 1 }
        let rows = Array(0..<batch)
        try Tensor.withNoGrad {
            let mask = reference.attention_mask.flatMap { $0.map(Float.init) }
            let hidden = try model.model(
                ids: reference.input_ids.flatMap { $0 }, batch: batch, length: length,
                positions: reference.position_ids.flatMap { $0 },
                bias: T5Inputs.additiveCausalMask(mask, batch: batch, length: length), caches: caches,
                tokens: .all(batch: batch, length: length))
            var logits = model.logits(hidden: hidden.slice(axis: 1, (length - 1)..<length).reshaped([batch, -1]))
            var finished = [Bool](repeating: false, count: batch)
            for step in 0..<reference.max_new_tokens {
                let chosen = Self.argmax(logits, rows: batch)
                let tokens = rows.map { finished[$0] ? pad : chosen[$0] }
                for b in rows {
                    sequences[b].append(tokens[b])
                    if tokens[b] == eos { finished[b] = true }
                }
                if finished.allSatisfy({ $0 }) || step == reference.max_new_tokens - 1 { break }
                for b in rows { maskRows[b].append(0) }
                let hidden = model.model.step(
                    tokens: tokens, rows: rows, positions: positions, caches: caches, position: length + step,
                    mask: maskRows.flatMap { $0 })
                logits = model.logits(hidden: hidden)
                positions = positions.map { $0 + 1 }
            }
        }
        #expect(sequences == reference.generated, "\(name)")
    }
}
