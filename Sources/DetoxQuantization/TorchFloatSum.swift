// Provenance: PyTorch 2.13 CPU `sum`/`mean` of a contiguous f32 tensor: `aten/src/ATen/native/cpu/
// SumKernel.cpp` (`cascade_sum`, `vectorized_inner_sum`, `row_sum`, `multi_row_sum`) and
// `TensorIteratorBase::parallel_reduce` / `two_pass_reduction`.

// MARK: - TorchFloatSum

/// PyTorch's f32 `sum()` and `mean()` of a contiguous 1-D tensor, reproduced bit for bit.
///
/// Double quantization subtracts `absmax.mean()` from the block scales; to give the same 8-bit
/// codes and the same dequantized values as bitsandbytes, the mean must be rounded exactly as
/// PyTorch rounds it. PyTorch sums in f32 with a cascade: 8-lane vector accumulators (the sum
/// kernel is built for 8 floats per vector on x86-64), four of them interleaved, folded into
/// higher levels every 16 steps, then the lanes added in order; `mean` divides the sum by the
/// count. At 32768 elements and more PyTorch splits the sum over its threads (one partial per
/// thread, then a sum of the partials), so the result depends on `torch.get_num_threads()`:
/// pass the same `threads` to match a given Python process (bitsandbytes tensors of fewer than
/// 32768 blocks, e.g. weights below 2M elements at block size 64, do not depend on it).
package enum TorchFloatSum {
    /// Elements below which PyTorch never splits a reduction (`at::internal::GRAIN_SIZE`).
    package static let grainSize = 32768
    /// Floats per vector in PyTorch's x86-64 sum kernel.
    static let lanes = 8

    /// `torch.sum(x)` for f32 `x` with `threads` PyTorch threads.
    package static func sum(_ values: UnsafeBufferPointer<Float>, threads: Int = 1) -> Float {
        let n = values.count
        guard let base = values.baseAddress, n > 0 else { return 0 }
        if n < grainSize || threads <= 1 {
            return 0 + cascade(base, n)
        }
        // two_pass_reduction: each of min(threads, ⌈n / grain⌉) workers sums a chunk of
        // ⌈n / workers⌉ into its own slot (of `threads` slots, starting at 0), then the slots are
        // summed.
        let workers = Swift.min(threads, (n + grainSize - 1) / grainSize)
        let chunk = (n + workers - 1) / workers
        var partials = [Float](repeating: 0, count: threads)
        for worker in 0..<workers {
            let start = worker * chunk
            if start < n { partials[worker] = 0 + cascade(base + start, Swift.min(n, start + chunk) - start) }
        }
        return partials.withUnsafeBufferPointer { buffer in buffer.baseAddress.map { 0 + cascade($0, threads) } ?? 0 }
    }

    /// `torch.mean(x)` for f32 `x`: the sum divided by the count, in f32.
    package static func mean(_ values: UnsafeBufferPointer<Float>, threads: Int = 1) -> Float {
        sum(values, threads: threads) / Float(values.count)
    }

    // MARK: - Kernel

    /// One call of `cascade_sum`'s inner loop over `n` contiguous floats.
    static func cascade(_ data: UnsafePointer<Float>, _ n: Int) -> Float {
        if n >= lanes {
            // vectorized_inner_sum: row_sum over ⌊n/8⌋ vectors, then the scalar tail, then the lanes.
            let vectors = n / lanes
            let accumulated = rowSum(data, count: vectors, width: lanes)
            var total: Float = 0
            for k in (vectors * lanes)..<n { total += data[k] }
            for lane in 0..<lanes { total += accumulated[lane] }
            return total
        }
        return rowSum(data, count: n, width: 1)[0]
    }

    /// `row_sum`: `count` items of `width` floats each, summed item-wise with four interleaved
    /// accumulators (`multi_row_sum` over rows of four items), the leftover items added to the
    /// first accumulator, then accumulators 1...3 added to it.
    static func rowSum(_ data: UnsafePointer<Float>, count: Int, width: Int) -> [Float] {
        let ilp = 4
        let groups = count / ilp
        var partial = multiRowSum(data, groups: groups, width: width, rows: ilp)
        for item in (groups * ilp)..<count {
            for lane in 0..<width { partial[lane] += data[item * width + lane] }
        }
        for row in 1..<ilp {
            for lane in 0..<width { partial[lane] += partial[row * width + lane] }
        }
        return Array(partial[0..<width])
    }

    /// `multi_row_sum`: `groups` steps, each adding `rows` items of `width` floats into level-0
    /// accumulators; every `2^levelPower` steps level 0 is carried into level 1, and so on up to
    /// four levels; at the end the levels are added into level 0. Returns `rows · width` sums.
    static func multiRowSum(_ data: UnsafePointer<Float>, groups: Int, width: Int, rows: Int) -> [Float] {
        let levels = 4
        let levelPower = Swift.max(4, ceilLog2(groups) / levels)
        let levelStep = 1 << levelPower
        let levelMask = levelStep - 1
        let stride = rows * width
        var accumulators = [Float](repeating: 0, count: levels * stride)
        accumulators.withUnsafeMutableBufferPointer { acc in
            var i = 0
            while i + levelStep <= groups {
                for _ in 0..<levelStep {
                    let item = data + i * stride
                    for k in 0..<stride { acc[k] += item[k] }
                    i += 1
                }
                for level in 1..<levels {
                    for k in 0..<stride {
                        acc[level * stride + k] += acc[(level - 1) * stride + k]
                        acc[(level - 1) * stride + k] = 0
                    }
                    if i & (levelMask << (level * levelPower)) != 0 { break }
                }
            }
            while i < groups {
                let item = data + i * stride
                for k in 0..<stride { acc[k] += item[k] }
                i += 1
            }
            for level in 1..<levels {
                for k in 0..<stride { acc[k] += acc[level * stride + k] }
            }
        }
        return Array(accumulators[0..<stride])
    }

    /// `utils::CeilLog2`: 1 for x ≤ 2, else ⌈log₂ x⌉.
    static func ceilLog2(_ x: Int) -> Int {
        if x <= 2 { return 1 }
        return (Int.bitWidth - (x - 1).leadingZeroBitCount - 1) + 1
    }
}
