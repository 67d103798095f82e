import CDetoxKernels
import DetoxNN
import DetoxTensor
import Foundation

// MARK: - Engine

/// The Adam update shared by ``Adam`` (L2 weight decay) and ``AdamW`` (decoupled weight decay).
///
/// It follows `torch.optim.adam._single_tensor_adam` operation by operation, in f32 with scalars
/// computed in f64 and rounded once, as PyTorch does for Python-number hyperparameters.
final class AdamEngine {
    let kind: String
    let decoupled: Bool
    let slots: ParameterSlots
    var hyperparameters: AdamHyperparameters
    var learningRate: Double
    var stepCount = 0

    init(
        kind: String, decoupled: Bool, parameters: [(name: String, parameter: Parameter)],
        hyperparameters: AdamHyperparameters
    ) throws {
        try hyperparameters.validate()
        self.kind = kind
        self.decoupled = decoupled
        self.slots = try ParameterSlots(parameters)
        self.hyperparameters = hyperparameters
        self.learningRate = hyperparameters.learningRate
    }

    // MARK: - Step

    func step(grads: GradStore) throws {
        let work = try slots.pending(grads)
        stepCount += 1
        let names = hyperparameters.bufferNames
        for (slot, gradient) in work {
            slot.ensureBuffers(names)
            slot.step += 1
            var scalars = scalars(step: slot.step)
            let param = slot.parameter.tensor
            let m = slot.buffers[0].pointer
            let v = slot.buffers[1].pointer
            let vMax: UnsafeMutablePointer<Float>? = hyperparameters.amsgrad ? slot.buffers[2].pointer : nil
            // PyTorch's CPU kernels for `lerp`, `addcmul` and `add(alpha:)` compute with fused
            // multiply-adds (explicitly in their vector paths, by contraction in their scalar paths);
            // `detox_adam_update` fuses at the same places and nowhere else, which makes it
            // bit-identical to `torch.optim.Adam`/`AdamW` on x86-64 rather than merely close.
            let updated = Tensor.build(shape: param.shape) { out, n in
                detox_adam_update(param.storage.pointer, gradient.storage.pointer, out, m, v, vMax, n, &scalars)
            }
            slot.parameter.assign(updated)
        }
    }

    /// Per-step scalars, computed in f64 like PyTorch's Python-side arithmetic, then rounded to f32
    /// where the tensor kernels receive them.
    func scalars(step: Int) -> detox_adam_scalars {
        let h = hyperparameters
        let lr = learningRate
        let t = Double(step)
        let biasCorrection1 = 1 - Foundation.pow(h.beta1, t)
        let biasCorrection2 = 1 - Foundation.pow(h.beta2, t)
        let stepSize = lr / biasCorrection1
        return detox_adam_scalars(
            decayFactor: Float(1 - lr * h.weightDecay),
            decoupledDecay: decoupled && h.weightDecay != 0 ? 1 : 0,
            l2: Float(h.weightDecay),
            l2Decay: !decoupled && h.weightDecay != 0 ? 1 : 0,
            lerpWeight: Float(1 - h.beta1),
            beta2: Float(h.beta2),
            oneMinusBeta2: Float(1 - h.beta2),
            biasCorrection2Sqrt: Float(Foundation.pow(biasCorrection2, 0.5)),
            epsilon: Float(h.epsilon),
            negativeStepSize: Float(-stepSize))
    }

    // MARK: - State

    func state() -> OptimizerState {
        slots.exportState(
            kind: kind, stepCount: stepCount, learningRate: learningRate,
            hyperparameters: hyperparameters.dictionary)
    }

    func restore(_ state: OptimizerState) throws {
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
