import DetoxNN
import DetoxTensor

// MARK: - AdamW

/// Adam with decoupled weight decay, matching `torch.optim.AdamW` (single-tensor path).
///
/// Each step, for a parameter with gradient `g` at its own step `t`:
/// `p ← p·(1 − lr·wd)`; `m ← lerp(m, g, 1 − β₁)`; `v ← β₂·v + (1 − β₂)·g²`;
/// `p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)` (with AMSGrad, `v` is replaced by its
/// running maximum). Defaults are PyTorch's: `lr 1e-3`, `betas (0.9, 0.999)`, `eps 1e-8`,
/// `weight_decay 1e-2`, `amsgrad false`.
public final class AdamW: Optimizer {
    private let engine: AdamEngine

    /// The name of this optimizer in saved state.
    public static let kind = "adamw"

    /// An optimizer over named parameters.
    ///
    /// Throws ``OptimizerError/duplicateParameter(name:)`` for a repeated name or parameter and
    /// ``OptimizerError/invalidHyperparameter(name:value:reason:)`` for out-of-range settings.
    public init(
        parameters: [(name: String, parameter: Parameter)], learningRate: Double = 1e-3,
        betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double = 1e-2,
        amsgrad: Bool = false
    ) throws {
        engine = try AdamEngine(
            kind: AdamW.kind, decoupled: true, parameters: parameters,
            hyperparameters: AdamHyperparameters(
                learningRate: learningRate, beta1: betas.0, beta2: betas.1, epsilon: epsilon,
                weightDecay: weightDecay, amsgrad: amsgrad))
    }

    /// An optimizer over a module's trainable parameters (`module.trainableParameters()`).
    public convenience init(
        module: any Module, learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        epsilon: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false
    ) throws {
        try self.init(
            parameters: module.trainableParameters(), learningRate: learningRate, betas: betas,
            epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// The current hyperparameters (replaced by ``restore(_:)``).
    public var hyperparameters: AdamHyperparameters { engine.hyperparameters }

    // MARK: - Optimizer

    public var kind: String { AdamW.kind }
    public var parameters: [(name: String, parameter: Parameter)] { engine.slots.named }
    public var baseLearningRate: Double { engine.hyperparameters.learningRate }
    public var learningRate: Double {
        get { engine.learningRate }
        set { engine.learningRate = newValue }
    }
    public var stepCount: Int { engine.stepCount }

    public func step(grads: GradStore) throws { try engine.step(grads: grads) }
    public func state() -> OptimizerState { engine.state() }
    public func restore(_ state: OptimizerState) throws { try engine.restore(state) }
}
