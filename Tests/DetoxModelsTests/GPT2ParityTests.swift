import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// Parity with transformers' `GPT2LMHeadModel` on the fixture model (a left-padded batch called
/// with `attention_mask` and mask-derived `position_ids`). Tolerances: logits at real positions
/// 1e-4 (max absolute difference), loss 1e-5.
@Suite struct GPT2ParityTests {
    static let logitsTolerance: Float = 1e-4
    static let lossTolerance: Float = 1e-5

    /// Each model folder and the folder of its reference (`gpt2-bin` holds `gpt2-tiny`'s model).
    static let folders = [("gpt2-tiny", "gpt2-tiny"), ("gpt2-bin", "gpt2-tiny"), ("gpt2-untied", "gpt2-untied")]

    @Test("logits and loss match transformers", arguments: folders)
    func logitsAndLossMatch(folder: String, referenceFolder: String) throws {
        let model = try GPT2LMHeadModel.load(folder: CausalFixtures.folder(folder))
        try CausalFixtures.expectParity(
            model, reference: CausalFixtures.reference(referenceFolder), logitsTolerance: Self.logitsTolerance,
            lossTolerance: Self.lossTolerance)
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

    @Test("an untied model keeps lm_head, and the other attention settings are read")
    func untiedStateDict() throws {
        let folder = try CausalFixtures.folder("gpt2-untied")
        let model = try GPT2LMHeadModel.load(folder: folder)
        #expect(!model.configuration.tieWordEmbeddings && model.lmHead != nil)
        #expect(model.configuration.scaleAttentionByInverseLayerIndex && model.configuration.feedForwardSize == 48)
        let (tensors, _) = try ModelFolder(folder).weights()
        let state = model.stateDict()
        #expect(state.keys.sorted() == tensors.keys.sorted())
        #expect(state["lm_head.weight"]?.values == tensors["lm_head.weight"]?.values)
        #expect(model.keepsFullPrecision(linearAt: "lm_head"))
        #expect(model.linearLayers().map(\.path).contains("lm_head"))
    }

    @Test("a sharded bf16 checkpoint loads, widened to f32")
    func shardedHalfPrecisionLoads() throws {
        let source = try CausalFixtures.folder("gpt2-tiny")
        let (tensors, _) = try ModelFolder(source).weights()
        let scratch = try TemporaryFolder()
        defer { scratch.cleanUp() }
        let folder = scratch.url
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        let keys = tensors.keys.sorted()
        try #require(keys.count > 2)
        var weightMap: [String: String] = [:]
        for (index, part) in [keys.prefix(keys.count / 2), keys.dropFirst(keys.count / 2)].enumerated() {
            let name = "model-0000\(index + 1)-of-00002.safetensors"
            try SafeTensors.write(
                tensors.filter { part.contains($0.key) }, dtype: .bf16, to: folder.appendingPathComponent(name))
            for key in part { weightMap[key] = name }
        }
        let index = try JSONSerialization.data(withJSONObject: [
            "metadata": [String: String](), "weight_map": weightMap,
        ])
        try index.write(to: folder.appendingPathComponent("model.safetensors.index.json"))

        let model = try GPT2LMHeadModel.load(folder: folder)
        let state = model.stateDict()
        #expect(state.keys.sorted() == keys)
        for (key, original) in tensors {
            let loaded = try #require(state[key]).values
            // bf16 keeps 8 significant bits: every value within 2^-8 of the f32 original, relatively.
            let worst = zip(loaded, original.values).map { Swift.abs($0 - $1) - Swift.abs($1) / 256 }.max() ?? 1
            #expect(worst <= 0, "\(key) is not the bf16 rounding of the original")
        }
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
