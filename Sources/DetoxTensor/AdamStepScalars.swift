import CDetoxKernels

// MARK: - Adam step scalars

/// The per-step constants of one `torch.optim.Adam`/`AdamW` update, already rounded to f32 the way
/// PyTorch hands Python-number hyperparameters to its tensor kernels.
package struct AdamStepScalars {
    /// `1 − lr·wd`, the decoupled (AdamW) shrink of the parameter.
    package var decayFactor: Float
    /// Whether to apply ``decayFactor`` (AdamW with a nonzero weight decay).
    package var decoupledDecay: Bool
    /// `wd`, the L2 term added to the gradient as `wd·p` (Adam).
    package var l2: Float
    /// Whether to add the L2 term (Adam with a nonzero weight decay).
    package var l2Decay: Bool
    /// `1 − β₁`, the weight of `lerp(m, g, ·)`.
    package var lerpWeight: Float
    package var beta2: Float
    package var oneMinusBeta2: Float
    /// `√(1 − β₂ᵗ)`.
    package var biasCorrection2Sqrt: Float
    package var epsilon: Float
    /// `−lr / (1 − β₁ᵗ)`.
    package var negativeStepSize: Float

    package init(
        decayFactor: Float, decoupledDecay: Bool, l2: Float, l2Decay: Bool, lerpWeight: Float, beta2: Float,
        oneMinusBeta2: Float, biasCorrection2Sqrt: Float, epsilon: Float, negativeStepSize: Float
    ) {
        self.decayFactor = decayFactor
        self.decoupledDecay = decoupledDecay
        self.l2 = l2
        self.l2Decay = l2Decay
        self.lerpWeight = lerpWeight
        self.beta2 = beta2
        self.oneMinusBeta2 = oneMinusBeta2
        self.biasCorrection2Sqrt = biasCorrection2Sqrt
        self.epsilon = epsilon
        self.negativeStepSize = negativeStepSize
    }

    /// The C kernel's form.
    var kernelScalars: detox_adam_scalars {
        detox_adam_scalars(
            decayFactor: decayFactor, decoupledDecay: decoupledDecay ? 1 : 0, l2: l2, l2Decay: l2Decay ? 1 : 0,
            lerpWeight: lerpWeight, beta2: beta2, oneMinusBeta2: oneMinusBeta2,
            biasCorrection2Sqrt: biasCorrection2Sqrt, epsilon: epsilon, negativeStepSize: negativeStepSize)
    }
}
