import DetoxNN
import DetoxTensor
import Foundation

// MARK: - Adam

/// Adam, matching `torch.optim.Adam` and `torch.optim.AdamW` (single-tensor path).
///
/// The two PyTorch optimizers differ only in how weight decay enters, so here they are one type
/// with a setting. With decoupled decay (AdamW) the parameter shrinks first, `p ← p·(1 − lr·wd)`;
/// otherwise (Adam) an L2 term joins the gradient, `g ← g + wd·p`. Then, for a parameter at its
/// own step `t`: `m ← lerp(m, g, 1 − β₁)`; `v ← β₂·v + (1 − β₂)·g²`;
/// `p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)` (with AMSGrad, `v` is replaced by its running
/// maximum). It follows `torch.optim.adam._single_tensor_adam` operation by operation, in f32 with
/// scalars computed in f64 and rounded once, as PyTorch does for Python-number hyperparameters.
public final class Adam: Optimizer {
    /// The name saved state carries for L2 decay (`torch.optim.Adam`).
    public static let coupledKind = "adam"
    /// The name saved state carries for decoupled decay (`torch.optim.AdamW`).
    public static let decoupledKind = "adamw"

    /// Whether weight decay is decoupled from the gradient (AdamW) rather than an L2 term (Adam).
    public let decoupledWeightDecay: Bool
    /// The current hyperparameters (replaced by ``restore(_:)``).
    public private(set) var hyperparameters: AdamHyperparameters
    let slots: ParameterSlots

    /// An optimizer over named parameters.
    ///
    /// Defaults are PyTorch's: `lr 1e-3`, `betas (0.9, 0.999)`, `eps 1e-8`, `amsgrad false`, and a
    /// weight decay of `1e-2` with decoupled decay (AdamW's default) or `0` without (Adam's), which
    /// is what a `nil` `weightDecay` selects. Throws ``OptimizerError/duplicateParameter(name:)`` for
    /// a repeated name or parameter and ``OptimizerError/invalidHyperparameter(name:value:reason:)``
    /// for out-of-range settings.
    public init(
        parameters: [(name: String, parameter: Parameter)], learningRate: Double = 1e-3,
        betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double? = nil,
        decoupledWeightDecay: Bool = false, amsgrad: Bool = false
    ) throws {
        let hyperparameters = AdamHyperparameters(
            learningRate: learningRate, beta1: betas.0, beta2: betas.1, epsilon: epsilon,
            weightDecay: weightDecay ?? (decoupledWeightDecay ? 1e-2 : 0), amsgrad: amsgrad)
        try hyperparameters.validate()
        self.decoupledWeightDecay = decoupledWeightDecay
        self.hyperparameters = hyperparameters
        self.learningRate = hyperparameters.learningRate
        self.slots = try ParameterSlots(parameters)
    }

    /// An optimizer over a module's trainable parameters (`module.trainableParameters()`).
    public convenience init(
        module: any Module, learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        epsilon: Double = 1e-8, weightDecay: Double? = nil, decoupledWeightDecay: Bool = false,
        amsgrad: Bool = false
    ) throws {
        try self.init(
            parameters: module.trainableParameters(), learningRate: learningRate, betas: betas,
            epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay,
            amsgrad: amsgrad)
    }

    // MARK: - Optimizer

    public var kind: String { decoupledWeightDecay ? Adam.decoupledKind : Adam.coupledKind }
    public var parameters: [(name: String, parameter: Parameter)] { slots.named }
    public var baseLearningRate: Double { hyperparameters.learningRate }
    public var learningRate: Double
    public private(set) var stepCount = 0

    public func step(grads: GradStore) throws {
        let work = try slots.pending(grads)
        stepCount += 1
        let names = hyperparameters.bufferNames
        for (slot, gradient) in work {
            slot.ensureBuffers(names)
            slot.step += 1
            let updated = Tensor.adamUpdate(
                parameter: slot.parameter.tensor, gradient: gradient, expAvg: slot.buffers[0],
                expAvgSq: slot.buffers[1], maxExpAvgSq: hyperparameters.amsgrad ? slot.buffers[2] : nil,
                scalars: scalars(step: slot.step))
            slot.parameter.assign(updated)
        }
    }

    /// Per-step scalars, computed in f64 like PyTorch's Python-side arithmetic, then rounded to f32
    /// where the tensor kernels receive them.
    func scalars(step: Int) -> AdamStepScalars {
        let h = hyperparameters
        let lr = learningRate
        let t = Double(step)
        let biasCorrection1 = 1 - Foundation.pow(h.beta1, t)
        let biasCorrection2 = 1 - Foundation.pow(h.beta2, t)
        let stepSize = lr / biasCorrection1
        return AdamStepScalars(
            decayFactor: Float(1 - lr * h.weightDecay),
            decoupledDecay: decoupledWeightDecay && h.weightDecay != 0,
            l2: Float(h.weightDecay),
            l2Decay: !decoupledWeightDecay && h.weightDecay != 0,
            lerpWeight: Float(1 - h.beta1),
            beta2: Float(h.beta2),
            oneMinusBeta2: Float(1 - h.beta2),
            biasCorrection2Sqrt: Float(Foundation.pow(biasCorrection2, 0.5)),
            epsilon: Float(h.epsilon),
            negativeStepSize: Float(-stepSize))
    }

    // MARK: - State

    public func state() -> OptimizerState {
        slots.exportState(
            kind: kind, stepCount: stepCount, learningRate: learningRate,
            hyperparameters: hyperparameters.dictionary)
    }

    public func restore(_ state: OptimizerState) throws {
        let metadata = state.metadata
        guard metadata.formatVersion == OptimizerStateMetadata.currentFormatVersion else {
            throw OptimizerError.unsupportedFormatVersion(metadata.formatVersion)
        }
        guard metadata.kind == kind else { throw OptimizerError.kindMismatch(expected: kind, actual: metadata.kind) }
        let restoredHyperparameters = try AdamHyperparameters(dictionary: metadata.hyperparameters)
        try validateLearningRate(metadata.learningRate)
        let restored = try slots.validate(state, bufferNames: restoredHyperparameters.bufferNames)
        slots.apply(restored)
        hyperparameters = restoredHyperparameters
        learningRate = metadata.learningRate
        stepCount = metadata.stepCount
    }
}
