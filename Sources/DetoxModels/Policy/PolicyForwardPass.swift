import DetoxTensor

/// What a policy's forward pass over queries and responses gives PPO (TRL's `batched_forward_pass`).
public struct PolicyForwardPass {
    /// `[B, T]`: log-probability of each response token, differentiable when gradients are on.
    public let logProbabilities: Tensor
    /// `[B, T]`: the value head's estimate at the same positions.
    public let values: Tensor
    /// `[B, T, vocab]`: the logits the log-probabilities came from (entropy and TRL's logit statistics).
    public let logits: Tensor
    /// `[B, T]` 0/1: which positions belong to each row's response.
    public let mask: Tensor

    public init(logProbabilities: Tensor, values: Tensor, logits: Tensor, mask: Tensor) {
        self.logProbabilities = logProbabilities
        self.values = values
        self.logits = logits
        self.mask = mask
    }
}
