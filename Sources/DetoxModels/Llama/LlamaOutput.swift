import DetoxTensor

/// What a Llama (or Qwen2) forward returns.
public struct LlamaOutput: Sendable {
    /// `[B, L, vocab]`.
    public let logits: Tensor
    /// Mean cross-entropy of each position's logits against the next label, over labels that are
    /// not `-100`, when labels were given (transformers' causal-LM loss).
    public let loss: Tensor?
    /// The hidden states after the final norm, `[B, L, hidden]` (transformers' `hidden_states[-1]`).
    public let hiddenState: Tensor
}
