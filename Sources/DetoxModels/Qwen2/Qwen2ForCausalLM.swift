// Port of transformers src/transformers/models/qwen2/modeling_qwen2.py (v4.46.3), `Qwen2ForCausalLM`

/// Qwen2 with a language-model head: the Llama layers with biased `q_proj`, `k_proj` and
/// `v_proj`, built from a ``Qwen2Configuration`` (or a Qwen2 folder by ``LlamaForCausalLM/load(folder:family:)``).
public typealias Qwen2ForCausalLM = LlamaForCausalLM

extension LlamaForCausalLM {
    /// A randomly initialised Qwen2 model.
    public convenience init(qwen2 configuration: Qwen2Configuration, seed: UInt64 = 0) throws {
        try self.init(settings: configuration.settings(file: "Qwen2Configuration"), seed: seed)
    }
}
