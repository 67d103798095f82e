import CDetoxKernels

// MARK: - Optimizer updates

extension Tensor {
    /// One step of `torch.optim.Adam`/`AdamW`'s single-tensor update of `parameter`, bit for bit on
    /// x86-64: returns the new parameter values and updates the moment buffers in place.
    ///
    /// The buffers are an optimizer's own state, shaped like the parameter and never shared with a
    /// tensor, which is why they are written in place rather than rebuilt every step. PyTorch's CPU
    /// kernels for `lerp`, `addcmul` and `add(alpha:)` compute with fused multiply-adds;
    /// `detox_adam_update` fuses at the same places and nowhere else. `maxExpAvgSq` is the AMSGrad
    /// running maximum, `nil` without AMSGrad. No autograd record.
    package static func adamUpdate(
        parameter: Tensor, gradient: Tensor, expAvg: TensorStorage, expAvgSq: TensorStorage,
        maxExpAvgSq: TensorStorage?, scalars: AdamStepScalars
    ) -> Tensor {
        let n = parameter.count
        precondition(
            gradient.count == n && expAvg.count == n && expAvgSq.count == n && (maxExpAvgSq?.count ?? n) == n,
            "Adam buffers must match the parameter's \(n) values")
        var kernelScalars = scalars.kernelScalars
        return build(shape: parameter.shape) { out, n in
            detox_adam_update(
                parameter.storage.pointer, gradient.storage.pointer, out, expAvg.pointer, expAvgSq.pointer,
                maxExpAvgSq?.pointer, n, &kernelScalars)
        }
    }

    /// One step of `torch.optim.SGD`'s single-tensor update of `parameter`: returns the new values
    /// and, with momentum, updates `momentumBuffer` in place (`firstStep` seeds it with the
    /// gradient, as PyTorch's `buf = grad.clone()`).
    ///
    /// Every `add(…, alpha:)` is a fused multiply-add, as in PyTorch's CPU kernel, which makes the
    /// result bit-identical to `torch.optim.SGD` on x86-64. No autograd record.
    package static func sgdUpdate(
        parameter: Tensor, gradient: Tensor, momentumBuffer: TensorStorage?, firstStep: Bool,
        scalars s: SGDStepScalars
    ) -> Tensor {
        precondition(
            gradient.count == parameter.count && (momentumBuffer?.count ?? parameter.count) == parameter.count,
            "SGD buffers must match the parameter's \(parameter.count) values")
        let param = parameter.storage.pointer
        let grad = gradient.storage.pointer
        let buffer = momentumBuffer?.pointer
        return build(shape: parameter.shape) { out, count in
            for i in 0..<count {
                let p = param[i]
                var g = grad[i]
                if s.applyWeightDecay { g = g.addingProduct(s.weightDecay, p) }
                if let buffer {
                    // First step: buf = grad.clone(); then buf.mul_(momentum).add_(grad, alpha=1 - dampening).
                    let b = firstStep ? g : (buffer[i] * s.momentum).addingProduct(s.oneMinusDampening, g)
                    buffer[i] = b
                    g = s.nesterov ? g.addingProduct(s.momentum, b) : b
                }
                out[i] = p.addingProduct(s.negativeLearningRate, g)
            }
        }
    }
}
