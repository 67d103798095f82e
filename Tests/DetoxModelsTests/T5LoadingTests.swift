import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import Foundation
import Testing

/// Configuration decoding, folder loading and its typed errors, module structure.
@Suite struct T5LoadingTests {
    @Test func missingFieldsTakeTransformersDefaults() throws {
        let configuration = try JSONDecoder().decode(T5Configuration.self, from: Data(#"{"model_type": "t5"}"#.utf8))
        #expect(configuration.vocabularySize == 32128)
        #expect(configuration.modelDimension == 512)
        #expect(configuration.keyValueDimension == 64)
        #expect(configuration.feedForwardDimension == 2048)
        #expect(configuration.encoderLayerCount == 6)
        #expect(configuration.decoderLayerCount == 6)
        #expect(configuration.headCount == 8)
        #expect(configuration.relativeAttentionBucketCount == 32)
        #expect(configuration.relativeAttentionMaxDistance == 128)
        #expect(configuration.dropoutRate == 0.1)
        #expect(configuration.layerNormEpsilon == 1e-6)
        #expect(configuration.denseActivation == "relu" && !configuration.isGatedActivation)
        #expect(configuration.tieWordEmbeddings)
        #expect(
            configuration.decoderStartTokenID == 0 && configuration.eosTokenID == 1 && configuration.padTokenID == 0)
        let layers = try JSONDecoder().decode(T5Configuration.self, from: Data(#"{"num_layers": 3}"#.utf8))
        #expect(layers.decoderLayerCount == 3, "num_decoder_layers defaults to num_layers")
    }

    @Test func feedForwardProjectionParsing() throws {
        func decode(_ json: String) throws -> T5Configuration {
            try JSONDecoder().decode(T5Configuration.self, from: Data(json.utf8))
        }
        let gated = try decode(#"{"feed_forward_proj": "gated-gelu"}"#)
        #expect(gated.denseActivation == "gelu_new" && gated.isGatedActivation)
        let gatedSilu = try decode(#"{"feed_forward_proj": "gated-silu"}"#)
        #expect(gatedSilu.denseActivation == "silu" && gatedSilu.isGatedActivation)
        let list = try decode(#"{"eos_token_id": [1, 5]}"#)
        #expect(list.eosTokenID == 1)
        #expect(throws: ModelError.self) { try decode(#"{"feed_forward_proj": "fancy-gelu"}"#) }
        #expect(throws: ModelError.self) { try decode(#"{"feed_forward_proj": "gated-gelu-x"}"#) }
    }

    @Test func invalidValuesNameTheFileAndKey() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, String)] = [
            (#"{"model_type": "t5", "d_model": 0}"#, "d_model"),
            (#"{"model_type": "t5", "num_heads": -2}"#, "num_heads"),
            (#"{"model_type": "t5", "dropout_rate": 1.5}"#, "dropout_rate"),
            (#"{"model_type": "t5", "vocab_size": 10, "eos_token_id": 12}"#, "eos_token_id"),
            (#"{"model_type": "t5", "feed_forward_proj": "gated-nonsense"}"#, "dense_act_fn"),
            (#"{"model_type": "t5", "d_model": "wide"}"#, "d_model"),
        ]
        let url = folder.appendingPathComponent("config.json")
        for (json, key) in cases {
            try Data(json.utf8).write(to: url)
            do {
                _ = try T5Configuration.load(from: url)
                Issue.record("\(json) was accepted")
            } catch let ModelError.invalidConfiguration(file, badKey, _) {
                #expect(file == url.path)
                #expect(badKey == key, "\(json)")
            }
        }
    }

    @Test func unsupportedModelTypeIsNamed() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"model_type": "bart", "d_model": 32}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        #expect(
            throws: ModelError.unsupportedModelType(
                file: folder.appendingPathComponent("config.json").path, modelType: "bart", supported: ["t5"])
        ) {
            try T5ForConditionalGeneration.load(folder: folder)
        }
    }

    @Test func missingFilesAreNamed() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ModelError.missingFile(folder: folder.path, name: "config.json")) {
            try T5ForConditionalGeneration.load(folder: folder)
        }
        let source = try T5Fixtures.folder("t5-relu-tied")
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        #expect(throws: ModelError.missingFile(folder: folder.path, name: "model.safetensors")) {
            try T5ForConditionalGeneration.load(folder: folder)
        }
    }

    @Test func missingOrMisshapenTensorIsNamed() throws {
        let source = try T5Fixtures.folder("t5-gated-untied")
        let tensors = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors")).tensors()
        let configuration = try T5Configuration.load(from: source.appendingPathComponent("config.json"))
        for key in [
            "decoder.block.2.layer.2.DenseReluDense.wi_1.weight", "lm_head.weight",
            "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "shared.weight",
        ] {
            var partial = tensors
            partial[key] = nil
            #expect(throws: ModelError.missingTensor(source: "test", key: key)) {
                try T5ForConditionalGeneration(configuration: configuration, tensors: partial, source: "test")
            }
        }
        var wrong = tensors
        wrong["decoder.final_layer_norm.weight"] = Tensor.zeros([31])
        #expect(
            throws: ModelError.shapeMismatch(
                source: "test", key: "decoder.final_layer_norm.weight", expected: [32], actual: [31])
        ) {
            try T5ForConditionalGeneration(configuration: configuration, tensors: wrong, source: "test")
        }
        // The folder loader reports the file it read.
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        var partial = tensors
        partial["encoder.final_layer_norm.weight"] = nil
        let file = folder.appendingPathComponent("model.safetensors")
        try SafeTensors.write(partial, metadata: ["format": "pt"], to: file)
        #expect(throws: ModelError.missingTensor(source: file.path, key: "encoder.final_layer_norm.weight")) {
            try T5ForConditionalGeneration.load(folder: folder)
        }
    }

    @Test func tiedEmbeddingAliasesAndIgnoredKeys() throws {
        // `.bin`-style state dicts carry the tied copies; a file may hold only an alias of shared.weight.
        let source = try T5Fixtures.folder("t5-relu-tied")
        var tensors = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors")).tensors()
        let configuration = try T5Configuration.load(from: source.appendingPathComponent("config.json"))
        let reference = try T5Fixtures.model("t5-relu-tied")
        let removed = tensors.removeValue(forKey: "shared.weight")
        let shared = try #require(removed)
        tensors["encoder.embed_tokens.weight"] = shared
        tensors["decoder.embed_tokens.weight"] = shared
        tensors["lm_head.weight"] = shared
        tensors["decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"] = Tensor.zeros([8, 4])
        let model = try T5ForConditionalGeneration(configuration: configuration, tensors: tensors)
        #expect(model.shared.weight.tensor.values == shared.values)
        #expect(model.lmHead == nil)
        let state = model.stateDict()
        let expected = reference.stateDict()
        #expect(Set(state.keys) == Set(expected.keys))
    }

    @Test func linearSlotsCanBeListedAndReplaced() throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let paths = model.linearLayers().map(\.path)
        // Encoder: 2 blocks × (4 attention + 3 gated FFN); decoder: 3 × (8 + 3); lm_head.
        #expect(paths.count == 2 * 7 + 3 * 11 + 1)
        #expect(paths.first { $0 != "lm_head" } == "encoder.block.0.layer.0.SelfAttention.q")
        #expect(paths.contains("decoder.block.2.layer.1.EncDecAttention.v"))
        #expect(paths.contains("decoder.block.1.layer.2.DenseReluDense.wi_0"))
        #expect(paths.contains("lm_head"))
        #expect(Set(paths).count == paths.count)
        // Every path is a parameter key without ".weight".
        let keys = Set(model.stateDict().keys)
        for path in paths { #expect(keys.contains(path + ".weight"), "\(path)") }

        let path = "decoder.block.1.layer.0.SelfAttention.v"
        let g = try T5Fixtures.reference("t5-gated-untied").greedy
        let before = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: .greedy(maxNewTokens: 6))
        let zero = Linear(weight: Tensor.zeros([32, 32]))
        try model.replaceLinear(at: path, with: zero)
        #expect(model.linearLayers().first { $0.path == path }?.layer === zero)
        #expect(model.stateDict()[path + ".weight"]?.values == Array(repeating: 0, count: 32 * 32))
        let after = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: .greedy(maxNewTokens: 6))
        #expect(after.sequences != before.sequences, "the swapped-in layer must be used by generation")
        #expect(throws: ModelError.self) {
            try model.replaceLinear(at: "decoder.block.9.layer.0.SelfAttention.q", with: zero)
        }
        #expect(throws: ModelError.self) {
            try model.replaceLinear(at: path, with: Linear(weight: Tensor.zeros([16, 32])))
        }
        let tied = try T5Fixtures.model("t5-relu-tied")
        #expect(!tied.linearLayers().contains { $0.path == "lm_head" })
        #expect(throws: ModelError.self) { try tied.replaceLinear(at: "lm_head", with: zero) }
    }

    @Test func trainingModeAppliesDropoutAndGradientsReachEveryParameter() throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let f = try T5Fixtures.reference("t5-gated-untied").forward
        let evaluation = try model(inputIDs: f.input_ids, attentionMask: f.attention_mask, labels: f.labels)
        let again = try model(inputIDs: f.input_ids, attentionMask: f.attention_mask, labels: f.labels)
        #expect(evaluation.logits.values == again.logits.values, "evaluation mode is deterministic")
        model.setTraining(true)
        let training = try model(inputIDs: f.input_ids, attentionMask: f.attention_mask, labels: f.labels)
        model.setTraining(false)
        #expect(training.logits.values != evaluation.logits.values, "dropout 0.1 must change training-mode logits")
        let loss = try #require(evaluation.loss)
        let gradients = try loss.backward()
        for (name, parameter) in model.parameters() {
            let gradient = try #require(gradients[parameter.tensor], "\(name) has no gradient")
            #expect(gradient.shape == parameter.shape)
        }
    }
}
