import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// Llama and Qwen2 through the shared decoder-only machinery: the KV-cached left-padded
/// `generate` gives transformers' greedy ids exactly (`Scripts/fixtures/make_llama_fixtures.py`),
/// the loader picks the family from `config.json`, and the value-head policy runs.
@Suite struct LlamaGenerationTests {
    @Test(arguments: LlamaFixtures.modelNames)
    func greedyGenerateMatchesTransformers(name: String) throws {
        let reference = try LlamaFixtures.reference(name)
        let model = try LlamaForCausalLM.load(folder: LlamaFixtures.folder(name))
        var generator = SeededGenerator(seed: 0)
        let output = try model.generate(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
            configuration: .greedy(maxNewTokens: reference.max_new_tokens), generator: &generator)
        #expect(output.sequences == reference.generated, "\(name)")
        #expect(output.promptLength == reference.input_ids[0].count)
    }

    /// A rotary model has no position table to bound a generation, so a length that cannot fit in
    /// memory (or in an Int) is refused before the cache is allocated.
    @Test func hugeMaxNewTokensIsAnErrorNotACrash() throws {
        let name = try #require(LlamaFixtures.modelNames.first)
        let reference = try LlamaFixtures.reference(name)
        let model = try LlamaForCausalLM.load(folder: LlamaFixtures.folder(name))
        for maxNewTokens in [100_000_000_000, Int.max] {
            var generator = SeededGenerator(seed: 0)
            do {
                _ = try model.generate(
                    inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
                    configuration: .greedy(maxNewTokens: maxNewTokens), generator: &generator)
                Issue.record("generated \(maxNewTokens) tokens")
            } catch ModelError.invalidInput(let reason) {
                #expect(reason.contains("maxNewTokens"), "\(reason)")
            }
        }
    }

    /// The shared forward over ``CausalInputs`` (positions from the mask) equals the model's own
    /// forward with the fixture's position ids, and the shared causal loss matches transformers
    /// (1e-5).
    @Test(arguments: LlamaFixtures.modelNames)
    func causalInputsForwardMatchesTransformers(name: String) throws {
        let reference = try LlamaFixtures.reference(name)
        let model = try LlamaForCausalLM.load(folder: LlamaFixtures.folder(name))
        let inputs = try CausalInputs(
            ids: reference.input_ids, mask: reference.attention_mask, vocabularySize: model.vocabularySize)
        #expect(inputs.positions == reference.position_ids.flatMap { $0 })
        let (logits, loss) = try Tensor.withNoGrad { try model.forward(inputs, labels: reference.labels) }
        let vocabulary = model.vocabularySize
        #expect(
            TestSupport.closeness(
                reference.atRealTokens(logits.values, width: vocabulary),
                reference.atRealTokens(reference.logits, width: vocabulary), rtol: 1e-4, atol: 1e-4) == nil)
        #expect(TestSupport.closeness(try #require(loss).values, [reference.loss], rtol: 1e-5, atol: 1e-5) == nil)
    }

    @Test func loaderReadsLlamaAndQwen2Folders() throws {
        for name in ["llama-untied", "qwen2-tied"] {
            let folder = try LlamaFixtures.folder(name)
            let model = try LanguageModelLoader.load(folder: folder)
            #expect(model is LlamaForCausalLM, "\(name)")
            let policy = try LanguageModelLoader.loadPolicy(folder: folder, seed: 1)
            #expect(policy is CausalLMWithValueHead<LlamaForCausalLM>, "\(name)")
            let pass = try Tensor.withNoGrad {
                try policy.forward(queries: [[1, 5, 9], [1, 7]], responses: [[4, 2], [8]])
            }
            #expect(pass.values.shape.first == 2)
        }
        #expect(LanguageModelLoader.architectureFamilies["Qwen2ForCausalLM"] == "qwen2")
        #expect(LanguageModelLoader.architectureFamilies["LlamaForCausalLM"] == "llama")
    }
}
