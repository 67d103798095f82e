import DetoxNN
import DetoxTensor

// MARK: - Optimizer

/// A first-order optimizer over named parameters.
///
/// An optimizer holds its parameters (names are checkpoint paths, as from
/// `Module.trainableParameters()`), reads their gradients from a `GradStore` by
/// `grads[parameter.tensor]`, and writes new values with `Parameter.assign(_:)`. Parameters without a
/// gradient in the store are skipped, and their state (moments, step count) is left alone, as in
/// PyTorch when `p.grad is None`.
///
/// A training step is typically:
///
/// ```swift
/// var grads = try loss.backward()
/// let norm = optimizer.clipGradientNorm(&grads, maxNorm: 1.0)
/// optimizer.applySchedule(schedule)   // learning rate for this step
/// try optimizer.step(grads: grads)
/// ```
public protocol Optimizer: AnyObject {
    /// The optimizer's name in saved state: `"adamw"`, `"adam"`, `"sgd"`.
    var kind: String { get }
    /// The parameters, by name, in the order given at creation.
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// The configured learning rate, the one schedules scale.
    var baseLearningRate: Double { get }
    /// The learning rate the next ``step(grads:)`` uses (PyTorch's `param_groups[0]["lr"]`).
    var learningRate: Double { get set }
    /// Number of ``step(grads:)`` calls so far; what schedules count.
    var stepCount: Int { get }

    /// Updates every parameter that has a gradient in `grads`.
    ///
    /// Throws ``OptimizerError/gradientShapeMismatch(parameter:expected:actual:)`` (before changing
    /// anything) when a gradient's shape differs from its parameter's.
    func step(grads: GradStore) throws

    /// A copy of the optimizer's state, for checkpoints.
    func state() -> OptimizerState

    /// Replaces the optimizer's state with a saved one: step counts, learning rate,
    /// hyperparameters (as PyTorch's `load_state_dict` does) and moment buffers.
    ///
    /// Checks everything first and changes nothing when it throws an ``OptimizerError`` (a state from
    /// another optimizer kind, a parameter this optimizer does not hold, a missing buffer, a shape
    /// that differs from the parameter's, a leftover tensor). Parameters absent from the state start
    /// fresh.
    func restore(_ state: OptimizerState) throws
}

// MARK: - Conveniences

extension Optimizer {
    /// Sets ``learningRate`` to the schedule's rate for the next step: `baseLearningRate ×
    /// schedule.multiplier(step: stepCount)`, as a `LambdaLR` stepped once after every optimizer step.
    public func applySchedule(_ schedule: LearningRateSchedule) {
        learningRate = schedule.learningRate(base: baseLearningRate, step: stepCount)
    }

    /// Clips the gradients of this optimizer's parameters to a total L2 norm of at most `maxNorm`,
    /// as `torch.nn.utils.clip_grad_norm_`, and returns the norm before clipping.
    @discardableResult
    public func clipGradientNorm(_ grads: inout GradStore, maxNorm: Float) -> Float {
        GradientClipping.clipGradientNorm(&grads, parameters: parameters.map(\.parameter), maxNorm: maxNorm)
    }

    /// The parameter names, in order.
    public var parameterNames: [String] { parameters.map(\.name) }
}

// MARK: - Checks

/// A learning rate set on an optimizer or read from a saved state must be finite and non-negative.
func validateLearningRate(_ value: Double) throws {
    guard value.isFinite, value >= 0 else {
        throw OptimizerError.invalidHyperparameter(name: "lr", value: value, reason: "must be finite and >= 0")
    }
}
