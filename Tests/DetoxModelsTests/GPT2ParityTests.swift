import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// Parity with transformers' `GPT2LMHeadModel` on the fixture model (a left-padded batch called
/// with `attention_mask` and mask-derived `position_ids`). Tolerances: logits at real positions
/// 1e-4 (max absolute difference), loss 1e-5.
@Suite struct GPT2ParityTests {
    static let logitsTolerance: Float = 1e-4
    static let lossTolerance: Float = 1e-5

    @Test("logits and loss match transformers", arguments: ["gpt2-tiny", "gpt2-bin"])
    func logitsAndLossMatch(folder: String) throws {
        let model = try GPT2LMHeadModel.load(folder: CausalFixtures.folder(folder))
        let reference = try CausalFixtures.reference("gpt2-tiny")
        let inputs = try CausalInputs(
            ids: reference.input_ids, mask: reference.attention_mask, vocabularySize: model.vocabularySize)
        #expect(inputs.positions == reference.position_ids.flatMap { $0 })
        let (logits, loss) = try Tensor.withNoGrad { try model.forward(inputs, labels: reference.labels) }
        #expect(logits.shape == reference.logits_shape)
        let vocabulary = model.vocabularySize
        let difference = try TestSupport.maxAbsDifference(
            CausalFixtures.realPositions(logits.values, mask: reference.attention_mask, vocabulary: vocabulary),
            CausalFixtures.realPositions(reference.logits, mask: reference.attention_mask, vocabulary: vocabulary))
        #expect(difference <= Self.logitsTolerance, "logits differ by \(difference)")
        let value = try #require(loss).item
        #expect(Swift.abs(value - reference.loss) <= Self.lossTolerance, "loss \(value) vs \(reference.loss)")
    }

    @Test("the state dict is the checkpoint's, Conv1D weights [in, out], no lm_head when tied")
    func stateDictRoundTrips() throws {
        let folder = try CausalFixtures.folder("gpt2-tiny")
        let model = try GPT2LMHeadModel.load(folder: folder)
        let (tensors, _) = try ModelFolder(folder).weights()
        let state = model.stateDict()
        #expect(state.keys.sorted() == tensors.keys.sorted())
        for (key, value) in tensors {
            let mine = try #require(state[key], "no \(key) in the state dict")
            #expect(mine.shape == value.shape, "\(key): \(mine.shape) vs \(value.shape)")
            #expect(mine.values == value.values, "\(key) differs")
        }
        #expect(state["transformer.h.0.attn.c_attn.weight"]?.shape == [32, 96])
    }

    @Test("a bare GPT2Model checkpoint (no transformer. prefix) loads the same model")
    func barePrefixLoads() throws {
        let folder = try CausalFixtures.folder("gpt2-tiny")
        let configuration = try GPT2Configuration.load(from: folder.appendingPathComponent("config.json"))
        let (tensors, _) = try ModelFolder(folder).weights()
        let bare = Dictionary(
            uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst("transformer.".count)), $0.value) })
        let model = try GPT2LMHeadModel(configuration: configuration, tensors: bare)
        #expect(model.stateDict().keys.sorted() == tensors.keys.sorted())
    }

    @Test("linear layers are listed by module name, c_attn / c_proj / c_fc, as Conv1D")
    func linearLayersByName() throws {
        let model = try GPT2LMHeadModel.load(folder: CausalFixtures.folder("gpt2-tiny"))
        let paths = model.linearLayers().map(\.path)
        #expect(
            paths.prefix(4) == [
                "transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc",
                "transformer.h.0.mlp.c_proj",
            ])
        #expect(paths.count == 8)
        let layer = try #require(model.linearLayers().first?.layer as? Conv1D)
        #expect(layer.inFeatures == 32 && layer.outFeatures == 96)
        // The dense [out, in] view is the transpose of the stored [in, out] weight.
        let dense = layer.denseWeight
        #expect(dense.shape == [96, 32])
        #expect(dense.values[1 * 32 + 2] == layer.weight.tensor.values[2 * 96 + 1])
    }

    @Test("a seeded model is deterministic and draws GPT-2's init scales")
    func seededInitialisation() throws {
        let configuration = try GPT2Configuration(
            vocabularySize: 50, positionCount: 16, hiddenSize: 16, layerCount: 2, headCount: 2, bosTokenID: 49,
            eosTokenID: 49)
        let a = try GPT2LMHeadModel(configuration: configuration, seed: 3)
        let b = try GPT2LMHeadModel(configuration: configuration, seed: 3)
        #expect(a.stateDict().mapValues(\.values) == b.stateDict().mapValues(\.values))
        let state = a.stateDict()
        func std(_ key: String) throws -> Float {
            let values = try #require(state[key]).values
            let mean = values.reduce(0, +) / Float(values.count)
            return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
        }
        #expect(Swift.abs(try std("transformer.wte.weight") - 0.02) < 0.004)
        #expect(Swift.abs(try std("transformer.h.0.mlp.c_fc.weight") - 0.02) < 0.004)
        #expect(Swift.abs(try std("transformer.h.0.mlp.c_proj.weight") - 0.01) < 0.002)
        #expect(state["transformer.h.0.ln_1.weight"]?.values.allSatisfy { $0 == 1 } == true)
    }
}

/// `GPT2Configuration` decoding: transformers' defaults and typed errors naming the key.
@Suite struct GPT2ConfigurationTests {
    func decode(_ json: String) throws -> GPT2Configuration {
        try JSONDecoder().decode(GPT2Configuration.self, from: Data(json.utf8))
    }

    @Test func defaultsAreTransformers() throws {
        let c = try decode("{}")
        #expect(c.vocabularySize == 50257 && c.positionCount == 1024 && c.hiddenSize == 768)
        #expect(c.layerCount == 12 && c.headCount == 12 && c.feedForwardSize == 3072)
        #expect(c.activationFunction == "gelu_new" && c.layerNormEpsilon == 1e-5)
        #expect(c.scaleAttentionWeights && !c.scaleAttentionByInverseLayerIndex && !c.reorderAndUpcastAttention)
        #expect(c.tieWordEmbeddings && c.bosTokenID == 50256 && c.eosTokenID == 50256 && c.padTokenID == nil)
        let inner = try decode(#"{"n_embd": 64, "n_inner": 100}"#)
        #expect(inner.feedForwardSize == 100)
        #expect(try decode(#"{"n_embd": 64, "n_inner": null}"#).feedForwardSize == 256)
    }

    @Test("bad values throw invalidConfiguration naming the key")
    func badValues() throws {
        let cases: [(String, String)] = [
            (#"{"n_embd": 30, "n_head": 4}"#, "n_head"),
            (#"{"activation_function": "swoosh"}"#, "activation_function"),
            (#"{"add_cross_attention": true}"#, "add_cross_attention"),
            (#"{"vocab_size": 10, "eos_token_id": 10, "bos_token_id": 0}"#, "eos_token_id"),
            (#"{"n_layer": 0}"#, "n_layer"),
            (#"{"resid_pdrop": 1.5}"#, "resid_pdrop"),
        ]
        try #require(!cases.isEmpty)
        for (json, key) in cases {
            #expect(throws: ModelError.invalidConfiguration(file: "f.json", key: key, reason: "")) {
                do {
                    try decode(json).validate(file: "f.json")
                } catch ModelError.invalidConfiguration(let file, let thrownKey, _) {
                    throw ModelError.invalidConfiguration(file: file, key: thrownKey, reason: "")
                }
            }
        }
    }
}
