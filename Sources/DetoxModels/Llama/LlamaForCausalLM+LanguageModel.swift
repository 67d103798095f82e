// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3), `LlamaForCausalLM`
// (and Qwen2) as a policy's language model (generation, rollouts and the supervised loss come from
// ``CausalTransformer``).
import DetoxNN
import DetoxTensor
import Foundation

extension LlamaForCausalLM: LanguageModel {
    /// An untied `lm_head` (bitsandbytes' default skip list); nothing else stays in f32.
    public func keepsFullPrecision(linearAt path: String) -> Bool { path == "lm_head" }

    /// `"llama"` or `"qwen2"`, the configuration's.
    public var modelType: String { settings.modelType }

    /// A ``CausalLMWithValueHead`` around this model.
    public func withValueHead(seed: UInt64) -> any PolicyLanguageModel {
        CausalLMWithValueHead(
            model: self, hiddenSize: settings.hiddenSize,
            dropoutProbability: settings.summaryDropoutProbability, seed: seed)
    }

    /// A Llama or Qwen2 folder with TRL's value head: from the weights when they hold
    /// `v_head.summary.*`, else freshly initialised from `seed` (`family` and the errors of
    /// ``load(folder:family:)``).
    public static func loadPolicy(folder: URL, family: String? = nil, seed: UInt64 = 0) throws
        -> CausalLMWithValueHead<LlamaForCausalLM>
    {
        let settings = try Self.settings(configuration: folder.appendingPathComponent("config.json"), family: family)
        let (tensors, source) = try ModelFolder(folder).weights()
        return try CausalLMWithValueHead(
            model: LlamaForCausalLM(settings: settings, tensors: tensors, source: source),
            hiddenSize: settings.hiddenSize, tensors: tensors, source: source,
            dropoutProbability: settings.summaryDropoutProbability, seed: seed)
    }
}
