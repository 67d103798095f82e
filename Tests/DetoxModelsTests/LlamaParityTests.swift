import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// Llama and Qwen2 against transformers 4.46.3 (`Scripts/fixtures/make_llama_fixtures.py`): logits
/// and final hidden states at the real tokens of a left-padded batch called with the mask and the
/// position ids `generate` derives from it (1e-4), and the causal-LM loss with labels (1e-5).
@Suite struct LlamaParityTests {
    @Test(arguments: LlamaFixtures.modelNames)
    func forwardMatchesTransformers(name: String) throws {
        let reference = try LlamaFixtures.reference(name)
        let model = try LlamaForCausalLM.load(folder: LlamaFixtures.folder(name))
        try #require(!reference.realTokens.isEmpty)
        let output = try Tensor.withNoGrad {
            try model(
                inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
                positionIDs: reference.position_ids, labels: reference.labels)
        }
        let batch = reference.input_ids.count
        let length = reference.input_ids[0].count
        let settings = model.settings
        #expect(output.logits.shape == [batch, length, settings.vocabularySize])
        #expect(output.hiddenState.shape == [batch, length, settings.hiddenSize])
        let logits = reference.atRealTokens(output.logits.values, width: settings.vocabularySize)
        let expectedLogits = reference.atRealTokens(reference.logits, width: settings.vocabularySize)
        #expect(TestSupport.closeness(logits, expectedLogits, rtol: 1e-4, atol: 1e-4) == nil, "\(name) logits")
        let hidden = reference.atRealTokens(output.hiddenState.values, width: settings.hiddenSize)
        let expectedHidden = reference.atRealTokens(reference.hidden, width: settings.hiddenSize)
        #expect(TestSupport.closeness(hidden, expectedHidden, rtol: 1e-4, atol: 1e-4) == nil, "\(name) hidden")
        let loss = try #require(output.loss).values
        #expect(TestSupport.closeness(loss, [reference.loss], rtol: 1e-5, atol: 1e-5) == nil, "\(name) loss")
    }

    /// The loss's gradients (through the SwiGLU MLP, RMS norms, grouped-query attention and the
    /// rotary embedding) for the weights the fixture lists, 1e-4 relative with 1e-5 absolute.
    @Test(arguments: LlamaFixtures.modelNames)
    func lossGradientsMatchTransformers(name: String) throws {
        let reference = try LlamaFixtures.reference(name)
        let model = try LlamaForCausalLM.load(folder: LlamaFixtures.folder(name))
        try #require(!reference.gradients.isEmpty)
        let loss = try #require(
            try model(
                inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
                positionIDs: reference.position_ids, labels: reference.labels
            ).loss)
        let gradients = try loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: model.parameters().map { ($0.name, $0.parameter) })
        for (key, expected) in reference.gradients {
            let parameter = try #require(parameters[key], "\(name): no parameter \(key)")
            let gradient = try #require(gradients[parameter.tensor], "\(name): no gradient for \(key)")
            let problem = TestSupport.closeness(gradient.values, expected, rtol: 1e-4, atol: 1e-5)
            #expect(problem == nil, "\(name) \(key): \(problem ?? "")")
        }
    }

    /// The settings each fixture's configuration maps to: grouped heads, biases, tying, scaling.
    @Test func configurationsMapToTheLayerSettings() throws {
        let untied = try LlamaForCausalLM.settings(
            configuration: LlamaFixtures.folder("llama-untied").appendingPathComponent("config.json"))
        #expect(untied.modelType == "llama")
        #expect(untied.headCount == 4 && untied.keyValueHeadCount == 2 && untied.headDimension == 16)
        #expect(!untied.tieWordEmbeddings && !untied.queryKeyValueBias && !untied.mlpBias)
        #expect(untied.rotary == Rotary(dimension: 16, base: 10000))
        let biased = try LlamaForCausalLM.settings(
            configuration: LlamaFixtures.folder("llama-bias-bf16").appendingPathComponent("config.json"))
        #expect(biased.queryKeyValueBias && biased.outputBias && biased.mlpBias)
        #expect(biased.rotary == Rotary(dimension: 16, base: 10000, scaling: .linear(factor: 2)))
        let qwen = try LlamaForCausalLM.settings(
            configuration: LlamaFixtures.folder("qwen2-tied").appendingPathComponent("config.json"))
        #expect(qwen.modelType == "qwen2")
        #expect(qwen.queryKeyValueBias && !qwen.outputBias && !qwen.mlpBias && qwen.tieWordEmbeddings)
    }

    /// Parameter names are the checkpoint's; a tied model has no `lm_head`, and its state dict
    /// round-trips into an equal model.
    @Test func parametersAreNamedAsTheCheckpoint() throws {
        let tied = try LlamaForCausalLM.load(folder: LlamaFixtures.folder("qwen2-tied"))
        let names = Set(tied.stateDict().keys)
        #expect(names.contains("model.embed_tokens.weight"))
        #expect(names.contains("model.layers.1.self_attn.k_proj.bias"))
        #expect(!names.contains("model.layers.1.self_attn.o_proj.bias"))
        #expect(names.contains("model.layers.0.mlp.gate_proj.weight"))
        #expect(names.contains("model.layers.0.post_attention_layernorm.weight"))
        #expect(names.contains("model.norm.weight"))
        #expect(!names.contains("lm_head.weight"))
        #expect(tied.linearLayers().map(\.path).contains("model.layers.1.self_attn.v_proj"))
        let copy = try LlamaForCausalLM(settings: tied.settings, tensors: tied.stateDict())
        let ids = [[1, 5, 9, 3]]
        let a = try Tensor.withNoGrad { try tied(inputIDs: ids).logits.values }
        let b = try Tensor.withNoGrad { try copy(inputIDs: ids).logits.values }
        #expect(a == b)
        let untied = try LlamaForCausalLM.load(folder: LlamaFixtures.folder("llama-untied"))
        #expect(untied.stateDict()["lm_head.weight"]?.shape == [128, 64])
    }

    /// Seeded initialisation: same seed, same weights; linear weights drawn with
    /// `initializer_range`, the padding row zero, norms one.
    @Test func seededInitialisationFollowsInitWeights() throws {
        var configuration = LlamaConfiguration()
        configuration.vocabularySize = 96
        configuration.hiddenSize = 32
        configuration.intermediateSize = 48
        configuration.layerCount = 1
        configuration.headCount = 4
        configuration.keyValueHeadCount = 1
        configuration.padTokenID = 0
        configuration.initializerRange = 0.05
        let first = try LlamaForCausalLM(llama: configuration, seed: 3)
        let second = try LlamaForCausalLM(llama: configuration, seed: 3)
        #expect(first.stateDict().keys.sorted() == second.stateDict().keys.sorted())
        for (key, value) in first.stateDict() { #expect(second.stateDict()[key]?.values == value.values, "\(key)") }
        let state = first.stateDict()
        let k = try #require(state["model.layers.0.self_attn.k_proj.weight"])
        #expect(k.shape == [8, 32])
        let gate = try #require(state["model.layers.0.mlp.gate_proj.weight"]).values
        let std = (gate.reduce(0) { $0 + $1 * $1 } / Float(gate.count)).squareRoot()
        #expect(Swift.abs(std - 0.05) < 0.005)
        let embedding = try #require(state["model.embed_tokens.weight"]).values
        #expect(embedding[0..<32].allSatisfy { $0 == 0 })
        #expect(try #require(state["model.norm.weight"]).values.allSatisfy { $0 == 1 })
        #expect(state["lm_head.weight"]?.shape == [96, 32])
    }

    /// Bad configurations are typed errors naming the key.
    @Test func badConfigurationsNameTheirKey() throws {
        func key(_ change: (inout LlamaConfiguration) -> Void) -> String? {
            var configuration = LlamaConfiguration()
            change(&configuration)
            do {
                _ = try configuration.settings(file: "config.json")
                return nil
            } catch ModelError.invalidConfiguration(_, let key, _) {
                return key
            } catch {
                return "\(error)"
            }
        }
        #expect(key { $0.hiddenActivation = "gelu" } == "hidden_act")
        #expect(key { $0.keyValueHeadCount = 5 } == "num_key_value_heads")
        #expect(key { $0.ropeScaling = LlamaRopeScaling(ropeType: "yarn", factor: 4) } == "rope_scaling")
        #expect(key { $0.ropeScaling = LlamaRopeScaling(ropeType: "llama3", factor: 8) } == "rope_scaling")
        #expect(key { $0.partialRotaryFactor = 0.5 } == "partial_rotary_factor")
        #expect(key { $0.padTokenID = 32000 } == "pad_token_id")
        #expect(key { $0.headDimension = 15 } == "head_dim")
        #expect(key { _ in } == nil)
        var qwen = Qwen2Configuration()
        qwen.useSlidingWindow = true
        #expect(throws: ModelError.self) { try qwen.settings() }
    }
}
