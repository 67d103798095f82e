import DetoxNN
import DetoxTensor

// MARK: - Adam

/// Adam with L2 weight decay added to the gradient, matching `torch.optim.Adam` (single-tensor
/// path).
///
/// The update is ``AdamW``'s except for weight decay: here `g ← g + wd·p` before the moments are
/// updated. Defaults are PyTorch's: `lr 1e-3`, `betas (0.9, 0.999)`, `eps 1e-8`, `weight_decay 0`,
/// `amsgrad false`.
public final class Adam: Optimizer {
    private let engine: AdamEngine

    /// The name of this optimizer in saved state.
    public static let kind = "adam"

    /// An optimizer over named parameters.
    ///
    /// Throws ``OptimizerError/duplicateParameter(name:)`` for a repeated name or parameter and
    /// ``OptimizerError/invalidHyperparameter(name:value:reason:)`` for out-of-range settings.
    public init(
        parameters: [(name: String, parameter: Parameter)], learningRate: Double = 1e-3,
        betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double = 0,
        amsgrad: Bool = false
    ) throws {
        engine = try AdamEngine(
            kind: Adam.kind, decoupled: false, parameters: parameters,
            hyperparameters: AdamHyperparameters(
                learningRate: learningRate, beta1: betas.0, beta2: betas.1, epsilon: epsilon,
                weightDecay: weightDecay, amsgrad: amsgrad))
    }

    /// An optimizer over a module's trainable parameters (`module.trainableParameters()`).
    public convenience init(
        module: any Module, learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false
    ) throws {
        try self.init(
            parameters: module.trainableParameters(), learningRate: learningRate, betas: betas,
            epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// The current hyperparameters (replaced by ``restore(_:)``).
    public var hyperparameters: AdamHyperparameters { engine.hyperparameters }

    // MARK: - Optimizer

    public var kind: String { Adam.kind }
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
