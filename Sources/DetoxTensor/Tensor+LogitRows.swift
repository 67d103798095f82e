import CDetoxKernels

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

// MARK: - Row statistics of logits

extension Tensor {
    /// The entropy of `softmax(self)` over the last axis: `logsumexp(x) − Σ softmax(x)·x` per row.
    ///
    /// One pass per row: with `m` the row's maximum, `s = Σ e^(x−m)` and `t = Σ e^(x−m)·x`, it is
    /// `m + log s − t/s`, so the softmax is never materialised (PPO reports it for every token of a
    /// `[B, T, vocab]` batch). Returns the leading shape, e.g. `[B, T]`. A statistic: no autograd
    /// record.
    public func softmaxEntropy() -> Tensor {
        let width = shape.last ?? 1
        let rows = count / Swift.max(width, 1)
        let source = storage.pointer
        return Tensor.build(shape: Array(shape.dropLast())) { out, _ in
            Parallel.forChunks(rows, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))) {
                start, end in
                for r in start..<end {
                    let row = source + r * width
                    let maximum = detox_max(row, width)
                    var weighted: Float = 0
                    let total = detox_sum_exp_dot(row, width, maximum, &weighted)
                    out[r] = maximum + logf(total) - weighted / total
                }
            }
        }
    }

    /// `log_softmax(self)[row, targets[row]]` over the last axis, fused: the full log-softmax is
    /// never materialised, which matters for `[B, T, vocab]` logits. Differentiable in `self`.
    ///
    /// `targets` holds one id per row (row-major over the leading dimensions), each below the last
    /// dimension; a negative id (e.g. `-100`) gives 0 and no gradient. Callers check ids coming from
    /// data and report them in their own errors; a violation here is a programming error. Returns
    /// the leading shape, e.g. `[B, T]`.
    public func logSoftmaxGather(targets: [Int]) -> Tensor {
        let width = shape.last ?? 1
        let rows = count / Swift.max(width, 1)
        precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows of \(shape)")
        precondition(targets.allSatisfy { $0 < width }, "a target id is outside 0..<\(width)")
        let source = storage.pointer
        // Rows are independent: each thread takes a run of them.
        let minimumRows = Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))
        var logSumExp = [Float](repeating: 0, count: rows)
        let result = logSumExp.withUnsafeMutableBufferPointer { buffer in
            let lse = UncheckedSendable(buffer)
            return Tensor.build(shape: Array(shape.dropLast())) { out, _ in
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
        let logits = self
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
