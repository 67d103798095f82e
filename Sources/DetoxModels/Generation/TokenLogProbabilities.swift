import DetoxTensor

/// Log-probabilities of chosen tokens, fused: `log_softmax(logits)[target]` without
/// materialising the full log-softmax, differentiable in the logits.
public enum TokenLogProbabilities {
    /// - Parameters:
    ///   - logits: `[..., vocab]`.
    ///   - targets: one id per row of `logits` (row-major over the leading dimensions); a negative
    ///     id (e.g. `-100`) gives 0 and no gradient.
    /// - Returns: the leading shape of `logits`, e.g. `[B, T]`.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the count or an id is out of range.
    public static func gather(_ logits: Tensor, targets: [Int]) throws -> Tensor {
        let width = logits.shape.last ?? 1
        let rows = logits.count / Swift.max(width, 1)
        guard targets.count == rows else {
            throw ModelError.invalidInput("\(targets.count) targets for \(rows) rows of logits \(logits.shape)")
        }
        for t in targets where t >= width {
            throw ModelError.invalidInput("target id \(t) is outside the vocabulary 0..<\(width)")
        }
        return logits.logSoftmaxGather(targets: targets)
    }
}
