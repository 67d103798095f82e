import DetoxNN
import DetoxTensor

// MARK: - SGD

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
/// matching `torch.optim.SGD` (single-tensor path).
///
/// Each step: `g ← g + wd·p`; with momentum, `buf ← g` on a parameter's first step and
/// `buf ← μ·buf + (1 − dampening)·g` after; `g ← g + μ·buf` (Nesterov) or `g ← buf`;
/// `p ← p − lr·g`. Defaults are PyTorch's: `lr 1e-3`, no momentum, dampening or weight decay.
public final class SGD: Optimizer {
    private let slots: ParameterSlots
    /// The current hyperparameters (replaced by ``restore(_:)``).
    public private(set) var hyperparameters: SGDHyperparameters
    public var learningRate: Double
    public private(set) var stepCount = 0

    /// The name of this optimizer in saved state.
    public static let kind = "sgd"

    /// An optimizer over named parameters.
    ///
    /// Throws ``OptimizerError/duplicateParameter(name:)`` for a repeated name or parameter and
    /// ``OptimizerError/invalidHyperparameter(name:value:reason:)`` for out-of-range settings.
    public init(
        parameters: [(name: String, parameter: Parameter)], learningRate: Double = 1e-3, momentum: Double = 0,
        dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false
    ) throws {
        let hyperparameters = SGDHyperparameters(
            learningRate: learningRate, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
            nesterov: nesterov)
        try hyperparameters.validate()
        self.slots = try ParameterSlots(parameters)
        self.hyperparameters = hyperparameters
        self.learningRate = learningRate
    }

    /// An optimizer over a module's trainable parameters (`module.trainableParameters()`).
    public convenience init(
        module: any Module, learningRate: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) throws {
        try self.init(
            parameters: module.trainableParameters(), learningRate: learningRate, momentum: momentum,
            dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }

    // MARK: - Optimizer

    public var kind: String { SGD.kind }
    public var parameters: [(name: String, parameter: Parameter)] { slots.named }
    public var baseLearningRate: Double { hyperparameters.learningRate }

    public func step(grads: GradStore) throws {
        let work = try slots.pending(grads)
        stepCount += 1
        let h = hyperparameters
        let scalars = SGDStepScalars(
            weightDecay: Float(h.weightDecay), applyWeightDecay: h.weightDecay != 0,
            momentum: Float(h.momentum), useMomentum: h.momentum != 0,
            oneMinusDampening: Float(1 - h.dampening), nesterov: h.nesterov,
            negativeLearningRate: Float(-learningRate))
        let names = h.bufferNames
        for (slot, gradient) in work {
            let firstStep = slot.buffers.isEmpty
            slot.ensureBuffers(names)
            slot.step += 1
            let updated = Tensor.sgdUpdate(
                parameter: slot.parameter.tensor, gradient: gradient,
                momentumBuffer: scalars.useMomentum ? slot.buffers[0] : nil, firstStep: firstStep, scalars: scalars)
            slot.parameter.assign(updated)
        }
    }

    public func state() -> OptimizerState {
        slots.exportState(
            kind: kind, stepCount: stepCount, learningRate: learningRate, hyperparameters: hyperparameters.dictionary)
    }

    public func restore(_ state: OptimizerState) throws {
        let metadata = state.metadata
        guard metadata.formatVersion == OptimizerStateMetadata.currentFormatVersion else {
            throw OptimizerError.unsupportedFormatVersion(metadata.formatVersion)
        }
        guard metadata.kind == kind else { throw OptimizerError.kindMismatch(expected: kind, actual: metadata.kind) }
        let restoredHyperparameters = try SGDHyperparameters(dictionary: metadata.hyperparameters)
        try validateLearningRate(metadata.learningRate)
        let restored = try slots.validate(state, bufferNames: restoredHyperparameters.bufferNames)
        slots.apply(restored)
        hyperparameters = restoredHyperparameters
        learningRate = metadata.learningRate
        stepCount = metadata.stepCount
    }
}
