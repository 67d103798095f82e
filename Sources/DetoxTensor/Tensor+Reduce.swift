import CDetoxKernels

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

// MARK: - Reductions

extension Tensor {
    /// `[outer, length, inner]` view of the tensor around `axis`.
    func axisLayout(_ axis: Int) -> (outer: Int, length: Int, inner: Int) {
        let a = normalizedAxis(axis)
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
    }

    func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
        var s = shape
        let a = normalizedAxis(axis)
        if keepDims { s[a] = 1 } else { s.remove(at: a) }
        return s
    }

    /// Sum of all values (a scalar).
    public func sum() -> Tensor {
        let x = self
        return Tensor.record(Tensor(scalar: sumAll()), inputs: [x]) { g in [Tensor.full(x.shape, g.item)] }
    }

    /// Mean of all values (a scalar).
    public func mean() -> Tensor { sum() / Float(Swift.max(count, 1)) }

    /// Sum along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let (outer, length, inner) = axisLayout(axis)
        let source = storage.pointer
        let keptShape = reducedShape(axis, keepDims: true)
        let result = Tensor.build(shape: reducedShape(axis, keepDims: keepDims)) { out, n in
            out.initialize(repeating: 0, count: n)
            if outer == 1 {
                // A sum over the leading axis (a bias gradient): each core takes a run of columns.
                Parallel.forChunks(inner, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(1, length))) {
                    start, end in
                    for k in 0..<length {
                        let s = source + k * inner
                        for i in start..<end { out[i] += s[i] }
                    }
                }
                return
            }
            Parallel.forChunks(
                outer, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(1, length * inner))
            ) {
                start, end in
                for o in start..<end {
                    let d = out + o * inner
                    for k in 0..<length {
                        let s = source + (o * length + k) * inner
                        for i in 0..<inner { d[i] += s[i] }
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, inputs: [self]) { g in
            [Tensor(storage: g.storage, shape: keptShape).broadcasted(to: inputShape)]
        }
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        sum(axis: axis, keepDims: keepDims) / Float(Swift.max(dim(axis), 1))
    }

    /// Variance along `axis`; `unbiased` divides by `n - 1` (PyTorch's `var` default), otherwise by `n`.
    public func variance(axis: Int, keepDims: Bool = false, unbiased: Bool = true) -> Tensor {
        let n = dim(axis)
        let centered = self - mean(axis: axis, keepDims: true)
        let squares = (centered * centered).sum(axis: axis, keepDims: keepDims)
        return squares / Float(Swift.max(unbiased ? n - 1 : n, 1))
    }

    /// Variance of all values.
    public func variance(unbiased: Bool = true) -> Tensor {
        reshaped([count]).variance(axis: 0, unbiased: unbiased)
    }

    /// Index of the largest value along `axis` (first one on ties), row-major over the other axes.
    public func argmax(axis: Int = -1) -> [Int] { extremeIndices(axis: axis, largest: true) }

    /// Index of the smallest value along `axis` (first one on ties).
    public func argmin(axis: Int = -1) -> [Int] { extremeIndices(axis: axis, largest: false) }

    func extremeIndices(axis: Int, largest: Bool) -> [Int] {
        let (outer, length, inner) = axisLayout(axis)
        let source = storage.pointer
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = source[o * length * inner + i]
                var bestIndex = 0
                for k in 1..<Swift.max(length, 1) {
                    let v = source[(o * length + k) * inner + i]
                    if largest ? (v > best || (v.isNaN && !best.isNaN)) : (v < best || (v.isNaN && !best.isNaN)) {
                        best = v
                        bestIndex = k
                    }
                }
                result[o * inner + i] = bestIndex
            }
        }
        return result
    }

    /// Largest value along `axis`; the gradient goes to the position `argmax` reports.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        extreme(axis: axis, keepDims: keepDims, largest: true)
    }

    /// Smallest value along `axis`; the gradient goes to the position `argmin` reports.
    public func min(axis: Int, keepDims: Bool = false) -> Tensor {
        extreme(axis: axis, keepDims: keepDims, largest: false)
    }

    /// Largest value overall (a scalar).
    public func max() -> Tensor { reshaped([count]).max(axis: 0) }

    /// Smallest value overall (a scalar).
    public func min() -> Tensor { reshaped([count]).min(axis: 0) }

    func extreme(axis: Int, keepDims: Bool, largest: Bool) -> Tensor {
        let (outer, length, inner) = axisLayout(axis)
        let indices = extremeIndices(axis: axis, largest: largest)
        let source = storage.pointer
        let result = Tensor.build(shape: reducedShape(axis, keepDims: keepDims)) { out, _ in
            for o in 0..<outer {
                for i in 0..<inner { out[o * inner + i] = source[(o * length + indices[o * inner + i]) * inner + i] }
            }
        }
        let x = self
        return Tensor.record(result, inputs: [x]) { g in
            let grad = Tensor.zeros(x.shape)
            let gp = g.storage.pointer
            let dp = grad.storage.pointer
            for o in 0..<outer {
                for i in 0..<inner { dp[(o * length + indices[o * inner + i]) * inner + i] = gp[o * inner + i] }
            }
            return [grad]
        }
    }
}

// MARK: - Softmax

extension Tensor {
    /// Softmax over the last axis (max-subtracted).
    public func softmax() -> Tensor {
        let y = Tensor.softmaxForward(self, log: false)
        return Tensor.record(y, inputs: [self]) { g in
            // dx = y · (g − Σ g·y)
            [
                Tensor.rowwise(g, y) { gp, yp, dp, width in
                    var dot: Float = 0
                    for j in 0..<width { dot += gp[j] * yp[j] }
                    for j in 0..<width { dp[j] = yp[j] * (gp[j] - dot) }
                }
            ]
        }
    }

    /// Log-softmax over the last axis (log-sum-exp form).
    public func logSoftmax() -> Tensor {
        let y = Tensor.softmaxForward(self, log: true)
        return Tensor.record(y, inputs: [self]) { g in
            // dx = g − softmax · Σ g
            [
                Tensor.rowwise(g, y) { gp, yp, dp, width in
                    var total: Float = 0
                    for j in 0..<width { total += gp[j] }
                    for j in 0..<width { dp[j] = gp[j] - expf(yp[j]) * total }
                }
            ]
        }
    }

    static func softmaxForward(_ x: Tensor, log: Bool) -> Tensor {
        let width = x.shape.last ?? 1
        let rows = x.count / Swift.max(width, 1)
        let source = x.storage.pointer
        return build(shape: x.shape) { out, _ in
            Parallel.forChunks(rows, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))) {
                start, end in
                for r in start..<end {
                    let s = source + r * width
                    let o = out + r * width
                    guard log else {
                        softmaxRow(s, into: o, count: width)
                        continue
                    }
                    var m = detox_max(s, width)
                    if m == -.infinity { m = 0 }
                    let logTotal = logf(detox_sum_exp(s, width, m, nil))
                    for j in 0..<width { o[j] = (s[j] - m) - logTotal }
                }
            }
        }
    }

    /// Runs `body(gradRow, savedRow, outRow, width)` over the rows of the last axis.
    static func rowwise(
        _ g: Tensor, _ saved: Tensor,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        let width = g.shape.last ?? 1
        let rows = g.count / Swift.max(width, 1)
        let gp = g.storage.pointer
        let sp = saved.storage.pointer
        return build(shape: g.shape) { out, _ in
            Parallel.forChunks(rows, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))) {
                start, end in
                for r in start..<end { body(gp + r * width, sp + r * width, out + r * width, width) }
            }
        }
    }
}

// MARK: - Sampling helpers

extension Tensor {
    /// The `k` largest values of each row of the last axis, in descending order, with their indices
    /// (ties keep the lower index first). Not differentiable.
    public func topK(_ k: Int) -> (values: Tensor, indices: [Int]) {
        let width = shape.last ?? 1
        let k = Swift.min(k, width)
        let rows = count / Swift.max(width, 1)
        let source = storage.pointer
        var indices = [Int](repeating: 0, count: rows * k)
        let values = Tensor.build(shape: Array(shape.dropLast()) + [k]) { out, _ in
            var order = [Int](repeating: 0, count: width)
            for r in 0..<rows {
                let s = source + r * width
                for j in 0..<width { order[j] = j }
                order.sort { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) }
                for j in 0..<k {
                    indices[r * k + j] = order[j]
                    out[r * k + j] = s[order[j]]
                }
            }
        }
        return (values, indices)
    }

    /// Running sum along the last axis.
    public func cumsum() -> Tensor {
        let width = shape.last ?? 1
        let rows = count / Swift.max(width, 1)
        let source = storage.pointer
        let result = Tensor.build(shape: shape) { out, _ in
            for r in 0..<rows {
                var acc: Float = 0
                for j in 0..<width {
                    acc += source[r * width + j]
                    out[r * width + j] = acc
                }
            }
        }
        return Tensor.record(result, inputs: [self]) { g in
            // d/dx_j Σ_{i≥j} g_i: a reversed running sum.
            let gp = g.storage.pointer
            return [
                Tensor.build(shape: g.shape) { out, _ in
                    for r in 0..<rows {
                        var acc: Float = 0
                        for j in stride(from: width - 1, through: 0, by: -1) {
                            acc += gp[r * width + j]
                            out[r * width + j] = acc
                        }
                    }
                }
            ]
        }
    }
}
