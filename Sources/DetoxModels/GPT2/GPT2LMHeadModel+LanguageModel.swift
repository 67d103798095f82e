// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2LMHeadModel`,
// and models/gpt_neo/modeling_gpt_neo.py, `GPTNeoForCausalLM`, as a policy's language model
// (generation, rollouts and the supervised loss come from ``CausalTransformer``).
import DetoxNN
import DetoxTensor

extension GPTForCausalLM: LanguageModel {
    /// An untied `lm_head` (bitsandbytes' default skip list); nothing else stays in f32.
    public func keepsFullPrecision(linearAt path: String) -> Bool { path == "lm_head" }

    /// `"gpt2"` or `"gpt_neo"`, the family's.
    public var modelType: String { Configuration.family }

    /// A ``CausalLMWithValueHead`` around this model.
    public func withValueHead(seed: UInt64) -> any PolicyLanguageModel {
        CausalLMWithValueHead(
            model: self, hiddenSize: configuration.hiddenSize,
            dropoutProbability: configuration.summaryDropoutProbability, seed: seed)
    }
}
