import DetoxTensor

/// What a teacher-forced T5 forward returns.
public struct T5Output: Sendable {
    /// `[B, T, vocab]`.
    public let logits: Tensor
    /// Mean cross-entropy over labels that are not `-100`, when labels were given.
    public let loss: Tensor?
    /// The encoder's output, `[B, S, d_model]`.
    public let encoderHiddenState: Tensor
    /// The decoder's last hidden state after the final layer norm, `[B, T, d_model]`
    /// (transformers' `decoder_hidden_states[-1]`, what TRL's value head reads).
    public let decoderHiddenState: Tensor
}
