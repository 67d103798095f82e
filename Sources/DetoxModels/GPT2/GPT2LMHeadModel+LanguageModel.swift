// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2LMHeadModel`
// as a policy's language model (generation, rollouts and the supervised loss come from
// ``CausalTransformer``).
import DetoxNN
import DetoxTensor

extension GPT2LMHeadModel: LanguageModel {
    /// An untied `lm_head` (bitsandbytes' default skip list); GPT-2 keeps nothing else in f32.
    public func keepsFullPrecision(linearAt path: String) -> Bool { path == "lm_head" }

    public var modelType: String { "gpt2" }

    /// A ``CausalLMWithValueHead`` around this model.
    public func withValueHead(seed: UInt64) -> any PolicyLanguageModel {
        CausalLMWithValueHead(
            model: self, hiddenSize: configuration.hiddenSize,
            dropoutProbability: configuration.summaryDropoutProbability ?? 0.1, seed: seed)
    }
}
