import DetoxNN
import DetoxTensor

// MARK: - Gradient clipping

/// Global gradient-norm clipping, as `torch.nn.utils.clip_grad_norm_` with `norm_type=2`.
public enum GradientClipping {
    /// The L2 norm of all gradients of `parameters` in `grads`, viewed as one vector (the norm of the
    /// per-tensor norms). Parameters without a gradient are skipped; a parameter listed twice counts
    /// once. Sums are accumulated in f64.
    public static func totalNorm(_ grads: GradStore, parameters: [Parameter]) -> Float {
        totalNorm(of: gradients(grads, parameters))
    }

    /// Scales the gradients of `parameters` so that their total L2 norm is at most `maxNorm` and
    /// returns the total norm before scaling.
    ///
    /// The scale is `maxNorm / (norm + 1e-6)` in f32 and is applied only when it is below 1 (or NaN,
    /// as PyTorch, which multiplies by the clamped coefficient unconditionally). A non-finite norm is
    /// returned as is; check it if a NaN or infinite gradient should stop training.
    @discardableResult
    public static func clipGradientNorm(_ grads: inout GradStore, parameters: [Parameter], maxNorm: Float) -> Float {
        let entries = gradients(grads, parameters)
        guard !entries.isEmpty else { return 0 }
        let norm = totalNorm(of: entries)
        let coefficient = maxNorm / (norm + Float(1e-6))
        guard !(coefficient >= 1) else { return norm }
        for (parameter, gradient) in entries {
            let scaled = Tensor.withNoGrad { gradient * coefficient }
            grads.set(scaled, for: parameter.tensor)
        }
        return norm
    }

    // MARK: - Helpers

    private static func gradients(_ grads: GradStore, _ parameters: [Parameter]) -> [(
        parameter: Parameter, gradient: Tensor
    )] {
        var seen = Set<ObjectIdentifier>()
        var result: [(parameter: Parameter, gradient: Tensor)] = []
        for parameter in parameters where seen.insert(ObjectIdentifier(parameter)).inserted {
            if let gradient = grads[parameter.tensor] { result.append((parameter, gradient)) }
        }
        return result
    }

    /// Per-tensor norms rounded to f32 (as PyTorch computes them), then the norm of those.
    private static func totalNorm(of entries: [(parameter: Parameter, gradient: Tensor)]) -> Float {
        var sumOfSquares: Double = 0
        for entry in entries {
            let tensorNorm = Float(squaredSum(entry.gradient).squareRoot())
            sumOfSquares += Double(tensorNorm) * Double(tensorNorm)
        }
        return Float(sumOfSquares.squareRoot())
    }

    private static func squaredSum(_ tensor: Tensor) -> Double {
        tensor.withUnsafeBufferPointer { values in
            var sum: Double = 0
            for value in values {
                let x = Double(value)
                sum += x * x
            }
            return sum
        }
    }
}
