// Semantics of transformers src/transformers/generation/logits_process.py (v4.46.3):
// MinNewTokensLengthLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper,
// and the greedy / multinomial choice of `GenerationMixin._sample`.
import DetoxTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The per-row logits processors and token choice used by generation, on one row of scores.
///
/// Each works in place on one row of f32 scores, borrowed for the call (generation keeps one
/// scratch row and reads the model's logits in place, so no row is copied more than once).
/// Removed tokens get `-inf`, as transformers' `filter_value`.
package enum LogitsProcessing {
    /// Sets `scores[id] = -inf` for `id` in `ids` (EOS before `min_new_tokens`; ids past a vocabulary limit).
    package static func suppress(_ scores: UnsafeMutableBufferPointer<Float>, ids: some Sequence<Int>) {
        for id in ids where id >= 0 && id < scores.count { scores[id] = -.infinity }
    }

    /// `scores / temperature`.
    package static func applyTemperature(_ scores: UnsafeMutableBufferPointer<Float>, temperature: Float) {
        for i in scores.indices { scores[i] = scores[i] / temperature }
    }

    /// Keeps the `k` highest scores and every score equal to the k-th (`scores < kth → -inf`).
    package static func applyTopK(_ scores: UnsafeMutableBufferPointer<Float>, k: Int) {
        let count = scores.count
        guard k > 0, k < count else { return }
        // A min-heap of the k largest values seen; its root is the k-th largest.
        var heap = [Float]()
        heap.reserveCapacity(k)
        for i in 0..<count {
            let value = scores[i]
            if heap.count < k {
                heap.append(value)
                siftUp(&heap, heap.count - 1)
            } else if value > heap[0] {
                heap[0] = value
                siftDown(&heap, 0)
            }
        }
        let threshold = heap[0]
        for i in 0..<count where scores[i] < threshold { scores[i] = -.infinity }
    }

    /// Nucleus filtering exactly as transformers computes it: sort ascending, softmax, cumulative
    /// sum; remove tokens whose cumulative probability is `<= 1 - topP`, but never the highest.
    package static func applyTopP(_ scores: UnsafeMutableBufferPointer<Float>, topP: Float) {
        let count = scores.count
        guard topP < 1, count > 1 else { return }
        var order = Array(0..<count)
        order.sort { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let maximum = scores[order[count - 1]]
        var total: Float = 0
        var probabilities = [Float](repeating: 0, count: count)
        for (i, index) in order.enumerated() {
            let e = expf(scores[index] - maximum)
            probabilities[i] = e
            total += e
        }
        let cutoff = 1 - topP
        var cumulative: Double = 0 // torch's CPU cumsum accumulates floats in double
        var remove: [Int] = []
        for i in 0..<(count - 1) {
            cumulative += Double(probabilities[i] / total)
            if Float(cumulative) <= cutoff { remove.append(order[i]) } else { break }
        }
        for index in remove { scores[index] = -.infinity }
    }

    /// The first NaN or infinite value of `row` and its index, or `nil` when every value is
    /// finite. Eight lanes at a time: `x * 0` is 0 for finite `x` and NaN otherwise, so one sum
    /// tells; the row is searched only when it fails.
    package static func firstNonFinite(_ row: UnsafeBufferPointer<Float>) -> (index: Int, value: Float)? {
        guard let base = row.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        var lanes = SIMD8<Float>(repeating: 0)
        var i = 0
        while row.count - i >= 8 {
            lanes += raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: SIMD8<Float>.self) * 0
            i += 8
        }
        var tail: Float = 0
        while i < row.count {
            tail += row[i] * 0
            i += 1
        }
        guard lanes.sum() + tail != 0, let index = row.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (index, row[index])
    }

    /// Index of the largest score (the first on ties; NaN passed over), as `argmax`; 0 for an
    /// empty row or one of NaN only. One vector pass finds the maximum, a second its first index.
    package static func argmax(_ scores: UnsafeBufferPointer<Float>) -> Int {
        guard let row = scores.baseAddress else { return 0 }
        return scores.firstIndex(of: Tensor.maximum(row, count: scores.count)) ?? 0
    }

    /// Draws one index from `softmax(scores)` (multinomial with one sample): the first index whose
    /// running sum of `exp(score − max)` (in double) passes a uniform fraction of the total;
    /// never a token of weight 0; 0 for an empty row.
    package static func sample(_ scores: UnsafeBufferPointer<Float>, generator: inout SeededGenerator) -> Int {
        let count = scores.count
        guard let row = scores.baseAddress else { return 0 }
        let maximum = Tensor.maximum(row, count: count)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { buffer in
            guard let weights = buffer.baseAddress else { return 0 }
            let total = Double(Tensor.sumExp(row, count: count, shift: maximum, into: weights))
            let target = generator.nextDouble() * total
            if let index = Tensor.firstCrossing(weights, count: count, target: target) { return index }
            // Rounding kept the running sum at or below the target: the last token with weight.
            return (0..<count).last { weights[$0] > 0 } ?? 0
        }
    }

    /// `log_softmax(scores)[index]`.
    package static func logProbability(_ scores: UnsafeBufferPointer<Float>, index: Int) -> Float {
        precondition(scores.indices.contains(index), "index \(index) outside a row of \(scores.count) scores")
        guard let row = scores.baseAddress else { return -.infinity }
        let maximum = Tensor.maximum(row, count: scores.count)
        return scores[index] - maximum - logf(Tensor.sumExp(row, count: scores.count, shift: maximum))
    }

    // MARK: - Heap helpers

    private static func siftUp(_ heap: inout [Float], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Float], _ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left] < heap[smallest] { smallest = left }
            if right < heap.count && heap[right] < heap[smallest] { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
