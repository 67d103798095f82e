// MARK: - SGD step scalars

/// The constants of one `torch.optim.SGD` update, rounded to f32 as PyTorch's kernels receive them.
package struct SGDStepScalars {
    package var weightDecay: Float
    /// Whether to add `wd·p` to the gradient (a nonzero weight decay).
    package var applyWeightDecay: Bool
    package var momentum: Float
    /// Whether a momentum buffer is kept (a nonzero momentum).
    package var useMomentum: Bool
    package var oneMinusDampening: Float
    package var nesterov: Bool
    package var negativeLearningRate: Float

    package init(
        weightDecay: Float, applyWeightDecay: Bool, momentum: Float, useMomentum: Bool, oneMinusDampening: Float,
        nesterov: Bool, negativeLearningRate: Float
    ) {
        self.weightDecay = weightDecay
        self.applyWeightDecay = applyWeightDecay
        self.momentum = momentum
        self.useMomentum = useMomentum
        self.oneMinusDampening = oneMinusDampening
        self.nesterov = nesterov
        self.negativeLearningRate = negativeLearningRate
    }
}
