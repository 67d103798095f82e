// Single-query attention for cached decoding; the same arithmetic as `T5Attention.forward`
// (transformers modeling_t5.py v4.46.3) for one new decoder position.
import CDetoxKernels
import DetoxTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Attention of one new query per row over cached keys and values, without autograd.
///
/// Keys and values are read in place from `[B, rows, H·D]` buffers (row `j` of head `h` starts at
/// `(b · rowsPerBatch + j) · H·D + h · D`), so neither the cache nor the query is permuted. Scores
/// get T5's additive bias and mask, then an f32 softmax, then the weighted sum of values.
enum T5StepAttention {
    /// - Parameters:
    ///   - query: `[A, H·D]`, one query for each batch row in `rows`.
    ///   - rows: the batch row of each query (its keys, values and mask).
    ///   - keys, values: `[B, rowsPerBatch, H·D]`; the first `length` rows of each batch are used.
    ///   - bias: `[H, length]` additive relative-position bias, or `nil`.
    ///   - mask: `[B, length]` additive mask, or `nil`.
    /// - Returns: `[A, H·D]`.
    static func attend(
        query: Tensor, rows: [Int], keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rowsPerBatch: Int,
        length: Int, headCount: Int, headDimension: Int, bias: [Float]?, mask: [Float]?
    ) -> Tensor {
        let batch = query.shape[0]
        precondition(rows.count == batch, "one batch row per query")
        let width = headCount * headDimension
        let q = query.storage.pointer
        let pairs = batch * headCount
        let work = pairs * length * headDimension
        return Tensor.build(shape: [batch, width]) { out, _ in
            let output = UncheckedSendable(out)
            withBiasAndMask(bias, mask) { biasPointer, maskPointer in
                let biasBox = UncheckedSendable(biasPointer)
                let maskBox = UncheckedSendable(maskPointer)
                let rowsBox = UncheckedSendable(rows)
                Parallel.forChunks(pairs, minimum: work >= 1 << 17 ? 2 : pairs + 1) { start, end in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(length, 1))
                    defer { scores.deallocate() }
                    for pair in start..<end {
                        let a = pair / headCount
                        let h = pair % headCount
                        let b = rowsBox.value[a]
                        // Scores q · k_j + bias + mask, softmax, then Σ_j w_j · v_j.
                        detox_attend_one(
                            q + a * width + h * headDimension,
                            keys + b * rowsPerBatch * width + h * headDimension,
                            values + b * rowsPerBatch * width + h * headDimension,
                            width, length, headDimension,
                            biasBox.value.map { $0 + h * length }, maskBox.value.map { $0 + b * length },
                            scores, output.value + a * width + h * headDimension)
                    }
                }
            }
        }
    }

    private static func withBiasAndMask<R>(
        _ bias: [Float]?, _ mask: [Float]?, _ body: (UnsafePointer<Float>?, UnsafePointer<Float>?) -> R
    ) -> R {
        func withMask(_ b: UnsafePointer<Float>?) -> R {
            guard let mask else { return body(b, nil) }
            return mask.withUnsafeBufferPointer { body(b, $0.baseAddress) }
        }
        guard let bias else { return withMask(nil) }
        return bias.withUnsafeBufferPointer { withMask($0.baseAddress) }
    }
}
