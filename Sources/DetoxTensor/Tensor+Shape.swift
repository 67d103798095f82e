// MARK: - Views and copies

extension Tensor {
    /// The same values with a new shape; one dimension may be `-1` (inferred). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        precondition(Tensor.elementCount(of: resolved) == count, "cannot reshape \(shape) to \(newShape)")
        // The backward pass keeps the input's shape only, not its buffer (see `relu`).
        let inputShape = shape
        let result = Tensor(storage: storage, shape: resolved)
        return Tensor.record(result, inputs: [self]) { g in [Tensor(storage: g.storage, shape: inputShape)] }
    }

    /// Reorders dimensions: result dimension `i` is input dimension `axes[i]` (a copy).
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank && Set(axes) == Set(0..<rank), "bad permutation \(axes) for \(shape)")
        if axes == Array(0..<rank) { return self }
        let x = self
        let result = Tensor.permuteCopy(self, axes)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record(result, inputs: [x]) { g in [Tensor.permuteCopy(g, inverse)] }
    }

    /// Swaps two dimensions (a copy).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(axes)
    }

    static func permuteCopy(_ x: Tensor, _ axes: [Int]) -> Tensor {
        let outShape = axes.map { x.shape[$0] }
        let inStrides = strides(of: x.shape)
        let permStrides = axes.map { inStrides[$0] }
        let inner = outShape.last ?? 1
        let innerStride = permStrides.last ?? 1
        let outerShape = Array(outShape.dropLast())
        let source = x.storage.pointer
        return build(shape: outShape) { out, n in
            let rows = inner == 0 ? 0 : n / inner
            Parallel.forChunks(rows, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(inner, 1))) {
                start, end in
                for row in start..<end {
                    var offset = 0
                    var rest = row
                    for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
                        offset += (rest % outerShape[axis]) * permStrides[axis]
                        rest /= outerShape[axis]
                    }
                    let o = out + row * inner
                    let s = source + offset
                    for i in 0..<inner { o[i] = s[i * innerStride] }
                }
            }
        }
    }

    /// Elements `range` along `axis` (a copy).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis)
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "slice \(range) out of bounds for \(shape) axis \(axis)")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let length = shape[axis]
        var outShape = shape
        outShape[axis] = range.count
        let source = storage.pointer
        let result = Tensor.build(shape: outShape) { out, _ in
            for o in 0..<outer {
                (out + o * range.count * inner).update(
                    from: source + (o * length + range.lowerBound) * inner, count: range.count * inner)
            }
        }
        let inputShape = shape
        return Tensor.record(result, inputs: [self]) { g in
            let grad = Tensor.zeros(inputShape)
            let gp = g.storage.pointer
            let dp = grad.storage.pointer
            for o in 0..<outer {
                (dp + (o * length + range.lowerBound) * inner).update(
                    from: gp + o * range.count * inner, count: range.count * inner)
            }
            return [grad]
        }
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let axis = first.normalizedAxis(axis)
        for t in tensors {
            precondition(
                t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] },
                "cannot concatenate \(t.shape) with \(first.shape) along \(axis)")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let lengths = tensors.map { $0.shape[axis] }
        let total = lengths.reduce(0, +)
        var outShape = first.shape
        outShape[axis] = total
        let result = build(shape: outShape) { out, _ in
            for o in 0..<outer {
                var position = 0
                for (t, length) in zip(tensors, lengths) {
                    (out + (o * total + position) * inner).update(
                        from: t.storage.pointer + o * length * inner, count: length * inner)
                    position += length
                }
            }
        }
        return record(result, inputs: tensors) { g in
            var start = 0
            return zip(tensors, lengths).map { t, length in
                defer { start += length }
                return t.node == nil ? nil : g.slice(axis: axis, start..<(start + length))
            }
        }
    }

    /// Rows of a tensor picked along dimension 0 (embedding lookup): result `[indices.count] + shape[1...]`.
    public func indexSelect(_ indices: [Int]) -> Tensor {
        let rows = shape[0]
        let width = count / Swift.max(rows, 1)
        for i in indices { precondition(i >= 0 && i < rows, "index \(i) out of range 0..<\(rows)") }
        let source = storage.pointer
        let result = Tensor.build(shape: [indices.count] + shape.dropFirst()) { out, _ in
            for (r, i) in indices.enumerated() { (out + r * width).update(from: source + i * width, count: width) }
        }
        let inputShape = shape
        return Tensor.record(result, inputs: [self]) { g in
            let grad = Tensor.zeros(inputShape)
            let gp = g.storage.pointer
            let dp = grad.storage.pointer
            for (r, i) in indices.enumerated() {
                let d = dp + i * width
                let s = gp + r * width
                for j in 0..<width { d[j] += s[j] }
            }
            return [grad]
        }
    }

    /// Picks one element per row of the last axis: `result[r] = self[r, indices[r]]`, shape without the last axis.
    /// This is how the log-probability of each chosen token is read.
    public func gatherLast(_ indices: [Int]) -> Tensor {
        let width = shape.last ?? 1
        let rows = count / Swift.max(width, 1)
        precondition(indices.count == rows, "gatherLast needs \(rows) indices, got \(indices.count)")
        for i in indices { precondition(i >= 0 && i < width, "index \(i) out of range 0..<\(width)") }
        let source = storage.pointer
        let result = Tensor.build(shape: Array(shape.dropLast())) { out, _ in
            for r in 0..<rows { out[r] = source[r * width + indices[r]] }
        }
        let inputShape = shape
        return Tensor.record(result, inputs: [self]) { g in
            let grad = Tensor.zeros(inputShape)
            let gp = g.storage.pointer
            let dp = grad.storage.pointer
            for r in 0..<rows { dp[r * width + indices[r]] += gp[r] }
            return [grad]
        }
    }

    /// The values broadcast to `target` (a copy); the backward sums back.
    public func broadcasted(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Tensor.broadcastShape(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        let x = self
        let strides = Tensor.broadcastStrides(of: shape, to: target)
        let inner = target.last ?? 1
        let innerStride = strides.last ?? 0
        let outerShape = Array(target.dropLast())
        let source = storage.pointer
        // A strided copy: each output row reads its source row (stride 0 along broadcast axes).
        let result = Tensor.build(shape: target) { out, n in
            let rows = inner == 0 ? 0 : n / inner
            for row in 0..<rows {
                var offset = 0
                var rest = row
                for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
                    offset += (rest % outerShape[axis]) * strides[axis]
                    rest /= outerShape[axis]
                }
                let o = out + row * inner
                let s = source + offset
                if innerStride == 0 {
                    o.initialize(repeating: s[0], count: inner)
                } else {
                    o.update(from: s, count: inner)
                }
            }
        }
        let inputShape = shape
        return Tensor.record(result, inputs: [x]) { g in [g.sumToShape(inputShape)] }
    }

    /// Adds a dimension of size 1 at `axis`.
    public func unsqueezed(_ axis: Int) -> Tensor {
        var s = shape
        s.insert(1, at: axis < 0 ? axis + rank + 1 : axis)
        return reshaped(s)
    }

    /// Removes a dimension of size 1 at `axis`.
    public func squeezed(_ axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(shape[a] == 1, "cannot squeeze axis \(axis) of \(shape)")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }
}
