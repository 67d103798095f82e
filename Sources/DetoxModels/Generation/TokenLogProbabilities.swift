import CDetoxKernels
import DetoxTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Log-probabilities of chosen tokens, fused: `log_softmax(logits)[target]` without
/// materialising the full log-softmax, differentiable in the logits.
public enum TokenLogProbabilities {
    /// - Parameters:
    ///   - logits: `[..., vocab]`.
    ///   - targets: one id per row of `logits` (row-major over the leading dimensions); a negative
    ///     id (e.g. `-100`) gives 0 and no gradient.
    /// - Returns: the leading shape of `logits`, e.g. `[B, T]`.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the count or an id is out of range.
    public static func gather(_ logits: Tensor, targets: [Int]) throws -> Tensor {
        let width = logits.shape.last ?? 1
        let rows = logits.count / Swift.max(width, 1)
        guard targets.count == rows else {
            throw ModelError.invalidInput("\(targets.count) targets for \(rows) rows of logits \(logits.shape)")
        }
        for t in targets where t >= width {
            throw ModelError.invalidInput("target id \(t) is outside the vocabulary 0..<\(width)")
        }
        let source = logits.storage.pointer
        // Rows are independent: each thread takes a run of them.
        let minimumRows = Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))
        var logSumExp = [Float](repeating: 0, count: rows)
        let result = logSumExp.withUnsafeMutableBufferPointer { buffer in
            let lse = UncheckedSendable(buffer.baseAddress!)
            return Tensor.build(shape: Array(logits.shape.dropLast())) { out, _ in
                Parallel.forChunks(rows, minimum: minimumRows) { start, end in
                    for r in start..<end {
                        guard targets[r] >= 0 else {
                            out[r] = 0
                            continue
                        }
                        let s = source + r * width
                        lse.value[r] = Tensor.logSumExp(s, count: width)
                        out[r] = s[targets[r]] - lse.value[r]
                    }
                }
            }
        }
        return Tensor.record(result, inputs: [logits]) { g in
            // d/dlogits = g · (onehot(target) − softmax).
            let gp = g.storage.pointer
            return [
                Tensor.build(shape: logits.shape) { out, _ in
                    Parallel.forChunks(rows, minimum: minimumRows) { start, end in
                        for r in start..<end {
                            let o = out + r * width
                            guard targets[r] >= 0 else {
                                o.initialize(repeating: 0, count: width)
                                continue
                            }
                            let scale = gp[r]
                            detox_exp_scaled(source + r * width, width, logSumExp[r], -scale, o)
                            o[targets[r]] += scale
                        }
                    }
                }
            ]
        }
    }
}
