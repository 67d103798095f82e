import Foundation
import NN
import TensorCore

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
            let scalars = scalars(step: slot.step)
            let param = slot.parameter.tensor
            let m = slot.buffers[0].pointer
            let v = slot.buffers[1].pointer
            let vMax: UnsafeMutablePointer<Float>? = hyperparameters.amsgrad ? slot.buffers[2].pointer : nil
            let updated = Tensor.build(shape: param.shape) { out, n in
                AdamEngine.update(
                    param: param.storage.pointer, grad: gradient.storage.pointer, out: out,
                    expAvg: m, expAvgSq: v, maxExpAvgSq: vMax, count: n, scalars: scalars)
            }
            slot.parameter.assign(updated)
        }
    }

    /// Per-step scalars, computed in f64 like PyTorch's Python-side arithmetic, then rounded to f32
    /// where the tensor kernels receive them.
    struct Scalars {
        var decayFactor: Float  // AdamW: 1 - lr * weight_decay
        var applyDecoupledDecay: Bool
        var l2: Float  // Adam: weight_decay, added as grad + wd * param
        var applyL2: Bool
        var lerpWeight: Float  // 1 - beta1
        var beta2: Float
        var oneMinusBeta2: Float
        var biasCorrection2Sqrt: Float
        var epsilon: Float
        var negativeStepSize: Float  // -lr / (1 - beta1^t)
    }

    func scalars(step: Int) -> Scalars {
        let h = hyperparameters
        let lr = learningRate
        let t = Double(step)
        let biasCorrection1 = 1 - Foundation.pow(h.beta1, t)
        let biasCorrection2 = 1 - Foundation.pow(h.beta2, t)
        let stepSize = lr / biasCorrection1
        return Scalars(
            decayFactor: Float(1 - lr * h.weightDecay),
            applyDecoupledDecay: decoupled && h.weightDecay != 0,
            l2: Float(h.weightDecay),
            applyL2: !decoupled && h.weightDecay != 0,
            lerpWeight: Float(1 - h.beta1),
            beta2: Float(h.beta2),
            oneMinusBeta2: Float(1 - h.beta2),
            biasCorrection2Sqrt: Float(Foundation.pow(biasCorrection2, 0.5)),
            epsilon: Float(h.epsilon),
            negativeStepSize: Float(-stepSize))
    }

    // MARK: - Kernel

    /// One Adam step over `count` values: updates the moments in place and writes the new
    /// parameter values to `out`.
    ///
    /// PyTorch's CPU kernels for `lerp`, `addcmul` and `add(alpha:)` compute with fused
    /// multiply-adds (explicitly in their vector paths, by contraction in their scalar paths); this
    /// loop uses `addingProduct` at the same places, which makes it bit-identical to
    /// `torch.optim.Adam`/`AdamW` on x86-64 rather than merely close.
    static func update(
        param: UnsafePointer<Float>, grad: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        expAvg: UnsafeMutablePointer<Float>, expAvgSq: UnsafeMutablePointer<Float>,
        maxExpAvgSq: UnsafeMutablePointer<Float>?, count: Int, scalars s: Scalars
    ) {
        // torch.lerp switches formula at weight 0.5 for accuracy; mirror both branches.
        let smallWeight = Swift.abs(s.lerpWeight) < 0.5
        let largeWeightCoefficient: Float = s.lerpWeight - 1
        for i in 0..<count {
            var p = param[i]
            var g = grad[i]
            if s.applyDecoupledDecay {
                // param.mul_(1 - lr * weight_decay)
                p = p * s.decayFactor
            } else if s.applyL2 {
                // grad = grad.add(param, alpha=weight_decay)
                g = g.addingProduct(s.l2, p)
            }
            // exp_avg.lerp_(grad, 1 - beta1)
            let m0 = expAvg[i]
            let m = smallWeight
                ? m0.addingProduct(s.lerpWeight, g - m0)
                : g.addingProduct(largeWeightCoefficient, g - m0)
            expAvg[i] = m
            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            let decayed = expAvgSq[i] * s.beta2
            let v = decayed.addingProduct(s.oneMinusBeta2 * g, g)
            expAvgSq[i] = v
            var second = v
            if let maxExpAvgSq {
                // torch.maximum, which propagates NaN.
                let previous = maxExpAvgSq[i]
                let larger = (previous.isNaN || previous > v) ? previous : v
                maxExpAvgSq[i] = larger
                second = larger
            }
            // denom = (sqrt(v) / sqrt(bias_correction2)).add_(eps)
            let denominator = second.squareRoot() / s.biasCorrection2Sqrt + s.epsilon
            // param.addcdiv_(exp_avg, denom, value=-step_size): not fused in PyTorch either.
            out[i] = p + s.negativeStepSize * m / denominator
        }
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
