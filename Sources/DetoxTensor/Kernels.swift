import CDetoxKernels

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

// MARK: - Kernel protocols

/// An element-wise function of one value. Generic loops specialize on the conforming type, so the
/// inner loop calls no closure.
public protocol UnaryKernel {
    func callAsFunction(_ x: Float) -> Float
}

/// An element-wise function of two values.
public protocol BinaryKernel {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

// MARK: - Row kernels

extension Tensor {
    /// `log Σ exp(row[j])` over `count` values, max-subtracted so large logits do not overflow.
    /// Shared by the fused softmax, cross-entropy and token log-probability kernels.
    @inline(__always)
    package static func logSumExp(_ row: UnsafePointer<Float>, count: Int) -> Float {
        let m = detox_max(row, count)
        if m == -.infinity { return m }
        return m + logf(detox_sum_exp(row, count, m, nil))
    }

    /// `Σ exp(row[j] − shift)` over `count` values, writing each term to `out` when it is given:
    /// the vectorized exponential sum behind generation's sampling and token log-probabilities.
    @inline(__always)
    package static func sumExp(
        _ row: UnsafePointer<Float>, count: Int, shift: Float, into out: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        detox_sum_exp(row, count, shift, out)
    }

    /// The largest of `count` values (`-inf` when there are none but NaN or `-inf`): one vector pass.
    @inline(__always)
    package static func maximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
        detox_max(row, count)
    }

    /// The first index at which the running sum of the non-negative `weights` exceeds `target`, or
    /// `nil` when it never does (a multinomial draw's search; whole blocks below the target are
    /// summed as vectors, see `detox_first_crossing`).
    @inline(__always)
    package static func firstCrossing(_ weights: UnsafePointer<Float>, count: Int, target: Double) -> Int? {
        let index = detox_first_crossing(weights, count, target)
        return index < 0 ? nil : index
    }

    /// `out = softmax(row)` over `count` values, max-subtracted (`out` may be `row`: in place).
    /// Shared by the softmax operation and the fused attention.
    @inline(__always)
    package static func softmaxRow(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var m = detox_max(row, count)
        if m == -.infinity { m = 0 }
        let total = detox_sum_exp(row, count, m, out)
        detox_scale(out, count, 1 / total)
    }
}

// MARK: - Broadcasting loops

extension Tensor {
    /// The shape two shapes broadcast to (NumPy rules), or `nil` if they are incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                result[i] = da
            } else if da == 1 {
                result[i] = db
            } else {
                return nil
            }
        }
        return result
    }

    /// Strides of `shape` when viewed as `target` by broadcasting: 0 along broadcast dimensions.
    static func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(of: shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { i in
            i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
        }
    }

    /// Applies `kernel` element-wise; no autograd record.
    @inline(__always)
    public func map<K: UnaryKernel>(_ kernel: K) -> Tensor {
        let source = storage.pointer
        return Tensor.build(shape: shape) { out, n in
            Parallel.forChunks(n) { start, end in
                for i in start..<end { out[i] = kernel(source[i]) }
            }
        }
    }

    /// Applies `kernel` element-wise over the broadcast of `a` and `b`; no autograd record.
    @inline(__always)
    public static func zipMap<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _ kernel: K) -> Tensor {
        let pa = a.storage.pointer
        let pb = b.storage.pointer
        if a.shape == b.shape {
            return build(shape: a.shape) { out, n in
                Parallel.forChunks(n) { start, end in
                    for i in start..<end { out[i] = kernel(pa[i], pb[i]) }
                }
            }
        }
        guard let shape = broadcastShape(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        if b.count == 1, shape == a.shape {
            let s = pb[0]
            return build(shape: shape) { out, n in
                Parallel.forChunks(n) { start, end in
                    for i in start..<end { out[i] = kernel(pa[i], s) }
                }
            }
        }
        if a.count == 1, shape == b.shape {
            let s = pa[0]
            return build(shape: shape) { out, n in
                Parallel.forChunks(n) { start, end in
                    for i in start..<end { out[i] = kernel(s, pb[i]) }
                }
            }
        }
        let stridesA = broadcastStrides(of: a.shape, to: shape)
        let stridesB = broadcastStrides(of: b.shape, to: shape)
        let inner = shape.last ?? 1
        let sa = stridesA.last ?? 0
        let sb = stridesB.last ?? 0
        let outerShape = Array(shape.dropLast())
        return build(shape: shape) { out, n in
            let rows = inner == 0 ? 0 : n / inner
            Parallel.forChunks(rows, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(inner, 1))) {
                start, end in
                for row in start..<end {
                    var offA = 0
                    var offB = 0
                    var rest = row
                    for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
                        let index = rest % outerShape[axis]
                        rest /= outerShape[axis]
                        offA += index * stridesA[axis]
                        offB += index * stridesB[axis]
                    }
                    let o = out + row * inner
                    let x = pa + offA
                    let y = pb + offB
                    if sa == 1 && sb == 1 {
                        for i in 0..<inner { o[i] = kernel(x[i], y[i]) }
                    } else if sa == 1 {
                        let v = y[0]
                        for i in 0..<inner { o[i] = kernel(x[i], v) }
                    } else if sb == 1 {
                        let v = x[0]
                        for i in 0..<inner { o[i] = kernel(v, y[i]) }
                    } else {
                        for i in 0..<inner { o[i] = kernel(x[i * sa], y[i * sb]) }
                    }
                }
            }
        }
    }

    /// Sums `self` down to `target`, undoing a broadcast (the backward of every broadcasting op).
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let targetCount = Tensor.elementCount(of: target)
        if targetCount == 1 {
            return Tensor(storage: TensorStorage(repeating: sumAll(), count: 1), shape: target)
        }
        let stridesT = Tensor.broadcastStrides(of: target, to: shape)
        let inner = shape.last ?? 1
        let st = stridesT.last ?? 0
        let outerShape = Array(shape.dropLast())
        let source = storage.pointer
        let result = Tensor(storage: TensorStorage(repeating: 0, count: targetCount), shape: target)
        let out = result.storage.pointer
        let rows = inner == 0 ? 0 : count / inner
        for row in 0..<rows {
            var off = 0
            var rest = row
            for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
                let index = rest % outerShape[axis]
                rest /= outerShape[axis]
                off += index * stridesT[axis]
            }
            let x = source + row * inner
            let o = out + off
            if st == 1 {
                for i in 0..<inner { o[i] += x[i] }
            } else {
                var acc: Float = 0
                for i in 0..<inner { acc += x[i] }
                o[0] += acc
            }
        }
        return result
    }

    /// Sum of all values, accumulated in double precision in blocks.
    func sumAll() -> Float {
        let p = storage.pointer
        var total: Double = 0
        var i = 0
        while i < count {
            let end = Swift.min(count, i + 1024)
            var acc: Float = 0
            for j in i..<end { acc += p[j] }
            total += Double(acc)
            i = end
        }
        return Float(total)
    }
}
