import CDetoxKernels
import DetoxTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Loss functions.
public enum Losses {
    /// The label value that `crossEntropy` skips, as PyTorch's default `ignore_index`.
    public static let ignoreIndex = -100

    /// Cross-entropy of `logits` `[N, C]` (or `[..., C]`) against integer `targets` (one per row),
    /// averaged over rows whose target is not `ignoreIndex` — `F.cross_entropy(..., reduction="mean")`.
    ///
    /// Computed in one fused, max-subtracted pass (log-sum-exp), so large logits do not overflow.
    /// If every target is ignored the result is NaN, as in PyTorch.
    public static func crossEntropy(_ logits: Tensor, targets: [Int], ignoreIndex: Int = Losses.ignoreIndex) throws
        -> Tensor
    {
        let width = logits.shape.last ?? 1
        let rows = logits.count / Swift.max(width, 1)
        guard targets.count == rows else {
            throw NNError.indexOutOfRange(what: "target count", index: targets.count, bound: rows)
        }
        for t in targets where t != ignoreIndex && (t < 0 || t >= width) {
            throw NNError.indexOutOfRange(what: "target class", index: t, bound: width)
        }
        let source = logits.storage.pointer
        // Each row's log-sum-exp on the cores (rows split into runs); the loss sums them in order.
        var logSumExp = [Float](repeating: 0, count: rows)
        let rowMinimum = Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))
        logSumExp.withUnsafeMutableBufferPointer { buffer in
            let lse = UncheckedSendable(buffer)
            Parallel.forChunks(rows, minimum: rowMinimum) { start, end in
                for r in start..<end where targets[r] != ignoreIndex {
                    lse.value[r] = Tensor.logSumExp(source + r * width, count: width)
                }
            }
        }
        var total: Double = 0
        var counted = 0
        for r in 0..<rows where targets[r] != ignoreIndex {
            total += Double(logSumExp[r] - source[r * width + targets[r]])
            counted += 1
        }
        let loss = Tensor(scalar: counted == 0 ? .nan : Float(total / Double(counted)))
        let denominator = Float(counted)
        return Tensor.record(loss, inputs: [logits]) { g in
            // d/dlogits = (softmax − onehot) · g / counted, zero on ignored rows.
            let scale = g.item / denominator
            return [
                Tensor.build(shape: logits.shape) { out, _ in
                    Parallel.forChunks(rows, minimum: rowMinimum) { start, end in
                        for r in start..<end {
                            let o = out + r * width
                            guard targets[r] != ignoreIndex else {
                                o.initialize(repeating: 0, count: width)
                                continue
                            }
                            detox_exp_scaled(source + r * width, width, logSumExp[r], scale, o)
                            o[targets[r]] -= scale
                        }
                    }
                }
            ]
        }
    }

    /// Mean squared error.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let d = prediction - target
        return (d * d).mean()
    }
}
