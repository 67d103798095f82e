import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// T5 as a policy's language model: loading by folder, and the packing the protocols hide from the
/// trainers checked against the transformers/TRL fixtures (unpadded rows in, the fixtures' padded
/// batches' numbers out).
@Suite struct PolicyLanguageModelTests {
    static let tolerance: Float = 1e-4

    /// The rows of a padded batch without their padding.
    static func unpadded(_ rows: [[Int]], mask: [[Int]]) -> [[Int]] {
        zip(rows, mask).map { row, mask in zip(row, mask).filter { $1 == 1 }.map(\.0) }
    }

    @Test func loaderDispatchesOnModelType() throws {
        let folder = try T5Fixtures.folder("t5-relu-tied")
        #expect(try LanguageModelLoader.load(folder: folder) is T5ForConditionalGeneration)
        let policy = try LanguageModelLoader.loadPolicy(folder: folder, seed: 4)
        let t5 = try #require(policy as? T5WithValueHead)
        #expect(t5.valueHead.summary.weight.shape == [1, 32])

        let scratch = try TemporaryFolder()
        defer { scratch.cleanUp() }
        let other = scratch.url
        let config = other.appendingPathComponent("config.json")
        try Data(#"{"model_type": "bloom", "n_embd": 32}"#.utf8).write(to: config)
        let unsupported = ModelError.unsupportedModelType(
            file: config.path, modelType: "bloom", supported: LanguageModelLoader.supportedModelTypes)
        #expect(throws: unsupported) { try LanguageModelLoader.load(folder: other) }
        #expect(throws: unsupported) { try LanguageModelLoader.loadPolicy(folder: other) }
        try Data(#"{"model_type": 5}"#.utf8).write(to: config)
        #expect(
            throws: ModelError.invalidConfiguration(file: config.path, key: "model_type", reason: "not a string")
        ) { try LanguageModelLoader.load(folder: other) }
        // Without model_type, a known architecture names the family; an unknown one is named.
        try Data(#"{"architectures": ["BloomForCausalLM"]}"#.utf8).write(to: config)
        #expect(
            throws: ModelError.unsupportedModelType(
                file: config.path, modelType: "BloomForCausalLM",
                supported: LanguageModelLoader.architectureFamilies.keys.sorted())
        ) { try LanguageModelLoader.load(folder: other) }
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("model.safetensors"),
            to: other.appendingPathComponent("model.safetensors"))
        var json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json")))
                as? [String: Any])
        json["model_type"] = nil
        json["architectures"] = ["T5ForConditionalGeneration"]
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        #expect(try LanguageModelLoader.load(folder: other) is T5ForConditionalGeneration)
        try FileManager.default.removeItem(at: config)
        #expect(throws: ModelError.missingFile(folder: other.path, name: "config.json")) {
            try LanguageModelLoader.load(folder: other)
        }
    }

    /// The policy's pass over unpadded queries and responses gives TRL's log-probabilities and values
    /// of the padded teacher-forced batch, and a mask of exactly the response tokens after the start token.
    @Test(arguments: T5Fixtures.modelNames)
    func forwardMatchesTRLOnUnpaddedRows(name: String) throws {
        let folder = try T5Fixtures.folder(name)
        let reference = try T5Fixtures.reference(name)
        let f = reference.forward
        let t = reference.teacher_forced
        let head = try SafeTensorsFile(url: folder.appendingPathComponent("value_head.safetensors")).tensors()
        let policy: any PolicyLanguageModel = try T5WithValueHead(
            model: T5Fixtures.model(name), tensors: head, source: "value_head.safetensors")
        policy.setTraining(false)
        let queries = Self.unpadded(f.input_ids, mask: f.attention_mask)
        let responses = Self.unpadded(t.decoder_input_ids, mask: t.decoder_attention_mask)
        #expect(responses.allSatisfy { $0.count >= policy.minimumResponseLength })
        let pass = try Tensor.withNoGrad { try policy.forward(queries: queries, responses: responses) }

        let rows = t.decoder_input_ids.count
        let width = t.decoder_input_ids[0].count
        #expect(pass.logProbabilities.shape == [rows, width - 1] && pass.values.shape == [rows, width - 1])
        #expect(pass.logits.shape == [rows, width - 1, reference.forward.logits_shape[2]])
        let difference = try TestSupport.maxAbsDifference(pass.logProbabilities.values, t.token_logprobs)
        #expect(difference <= Self.tolerance, "\(name): log-probabilities differ by \(difference)")
        let values = (0..<rows).flatMap { r in t.values[(r * width)..<(r * width + width - 1)] }
        #expect(try TestSupport.maxAbsDifference(pass.values.values, Array(values)) <= Self.tolerance)
        let mask = t.decoder_attention_mask.flatMap { $0.dropFirst().map(Float.init) }
        #expect(pass.mask.values == mask)
        #expect(policy.responseMask(queries: queries, responses: responses).values == mask)
    }

    /// Teacher-forced loss of unpadded prompts and targets equals transformers' loss with padded labels.
    @Test(arguments: T5Fixtures.modelNames)
    func supervisedLossMatchesTransformers(name: String) throws {
        let model: any LanguageModel = try T5Fixtures.model(name)
        let f = try T5Fixtures.reference(name).forward
        let prompts = Self.unpadded(f.input_ids, mask: f.attention_mask)
        let targets = f.labels.map { $0.filter { $0 != Losses.ignoreIndex } }
        let loss = try Tensor.withNoGrad { try model.supervisedLoss(prompts: prompts, targets: targets) }
        #expect(abs(loss.item - f.loss) <= Self.tolerance, "\(name): loss \(loss.item), expected \(f.loss)")
    }

    /// Rollout generation from unpadded queries gives transformers' greedy rows, each cut after its EOS;
    /// the generated tokens are those rows without the decoder start token.
    @Test(arguments: T5Fixtures.modelNames)
    func generatedResponsesMatchTransformers(name: String) throws {
        let model: any LanguageModel = try T5Fixtures.model(name)
        let g = try T5Fixtures.reference(name).greedy
        var generator = SeededGenerator(seed: 0)
        let responses = try model.generateResponses(
            queries: Self.unpadded(g.input_ids, mask: g.attention_mask),
            configuration: .greedy(maxNewTokens: g.max_new_tokens), generator: &generator)
        let expected = g.sequences.map { row -> [Int] in
            guard let eos = row.dropFirst().firstIndex(of: model.eosTokenID) else { return row }
            return Array(row[...eos])
        }
        #expect(responses == expected, "\(name): responses differ from transformers' greedy rows")
        #expect(responses.map(model.generatedTokens(of:)) == expected.map { Array($0.dropFirst()) })
    }

    /// 4-bit quantization leaves `lm_head` and the feed-forward `wo` projections in full precision.
    @Test func fullPrecisionLayersAreT5s() throws {
        let model: any LanguageModel = try T5Fixtures.model("t5-gated-untied")
        let kept = model.linearLayers().map(\.path).filter { model.keepsFullPrecision(linearAt: $0) }
        #expect(kept.contains("lm_head"))
        #expect(kept.filter { $0 != "lm_head" }.allSatisfy { $0.hasSuffix(".DenseReluDense.wo") })
        #expect(kept.count == 1 + 2 + 3, "lm_head and one wo per block (2 encoder, 3 decoder): \(kept)")
        #expect(!model.keepsFullPrecision(linearAt: "encoder.block.0.layer.0.SelfAttention.q"))
    }
}
