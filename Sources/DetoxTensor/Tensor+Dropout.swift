import CDetoxKernels

extension Tensor {
    /// Zeroes each value with probability `probability` and scales the rest by `1 / (1 − probability)`.
    ///
    /// The mask is counter-based: element `i` is kept when the `i`-th uniform number of `seed` is
    /// below `1 − probability` (see `detox_dropout`), so it does not depend on how the work is split
    /// across threads, and the backward pass regenerates it from the seed instead of storing it.
    public func dropout(probability: Float, seed: UInt64) -> Tensor {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) is not in [0, 1)")
        let keep = 1 - probability
        let scale = 1 / keep
        let y = Tensor.dropoutKernel(self, keep: keep, scale: scale, seed: seed)
        return Tensor.record(y, inputs: [self]) { g in
            [Tensor.dropoutKernel(g, keep: keep, scale: scale, seed: seed)]
        }
    }

    static func dropoutKernel(_ x: Tensor, keep: Float, scale: Float, seed: UInt64) -> Tensor {
        let source = x.storage.pointer
        return build(shape: x.shape) { out, n in
            Parallel.forChunks(n) { start, end in
                detox_dropout(source + start, out + start, end - start, keep, scale, seed, UInt64(start))
            }
        }
    }
}
