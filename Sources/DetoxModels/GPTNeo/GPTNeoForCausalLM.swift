// Port of transformers src/transformers/models/gpt_neo/modeling_gpt_neo.py (v4.46.3), `GPTNeoModel`
// and `GPTNeoForCausalLM`: GPT-2's model with GPT-Neo's attention

/// GPT-Neo's transformer: GPT-2's, with global and local layers (local layers get the windowed bias).
public typealias GPTNeoModel = GPTModel<GPTNeoConfiguration>

/// GPT-Neo with its language-model head (tied to `transformer.wte.weight` unless
/// `tie_word_embeddings` is false). Parameters carry their Hugging Face checkpoint names
/// (`transformer.h.0.attn.attention.q_proj.weight`, ...); the projections are linear slots
/// (`q_proj`, `k_proj`, `v_proj`, `out_proj`, `c_fc`, `c_proj`) for LoRA and 4-bit layers.
public typealias GPTNeoForCausalLM = GPTForCausalLM<GPTNeoConfiguration>
