// Port of transformers modeling_t5.py (v4.46.3): single-query attention for cached decoding, the
// same arithmetic as `T5Attention.forward` for one new decoder position.
import CDetoxKernels
import DetoxTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Attention of one new query per row over cached keys and values, for a decoding step; no
/// autograd.
///
/// Keys and values are read in place from `[B, positions, Hkv·D]` memory (row `j` of key/value
/// head `g` starts at `(b · positions + j) · Hkv·D + g · D`), so neither the cache nor the query is
/// permuted. Query head `h` reads key/value head `h / (H / Hkv)` (grouped-query attention; `Hkv`
/// is `H` unless given). Scores `q · k_j` (unscaled, as T5: scale the query for other models) get
/// an additive bias and mask, then an f32 softmax, then the weighted sum of values.
///
/// Parameters common to both entry points:
/// - `query`: `[A, H·D]`, one query for each batch row in `rows`.
/// - `rows`: the batch row of each query (its keys, values and mask).
/// - `bias`: `[H, length]` additive relative-position bias, or `nil`.
/// - `mask`: `[B, length]` additive mask, or `nil`.
///
/// Both return `[A, H·D]`.
public enum StepAttention {
    /// Attends over the first `length` positions of a growing self-attention cache of width
    /// `Hkv·D` (`keyValueHeadCount` is `Hkv`, `nil` for `H`).
    public static func attend(
        query: Tensor, rows: [Int], cache: KeyValueBuffer, length: Int, headCount: Int, headDimension: Int,
        keyValueHeadCount: Int? = nil, bias: [Float]?, mask: [Float]?
    ) -> Tensor {
        let keyValueHeads = keyValueHeadCount ?? headCount
        precondition(
            keyValueHeads > 0 && headCount % keyValueHeads == 0,
            "\(headCount) heads do not split into groups over \(keyValueHeads) key/value heads")
        precondition(cache.width == keyValueHeads * headDimension, "cache width \(cache.width) is not Hkv·D")
        precondition(length <= cache.capacity, "length \(length) beyond the cache's \(cache.capacity) positions")
        return withExtendedLifetime(cache) {
            attend(
                query: query, rows: rows, keys: cache.keys.pointer, values: cache.values.pointer,
                batchRows: cache.batch, rowsPerBatch: cache.capacity, length: length, headCount: headCount,
                keyValueHeads: keyValueHeads, headDimension: headDimension, bias: bias, mask: mask)
        }
    }

    /// Attends over every position of fixed keys and values `[B, S, H·D]` (cross-attention over an
    /// encoder's projected output).
    public static func attend(
        query: Tensor, rows: [Int], keys: Tensor, values: Tensor, headCount: Int, headDimension: Int,
        bias: [Float]?, mask: [Float]?
    ) -> Tensor {
        precondition(
            keys.rank == 3 && keys.shape == values.shape && keys.shape[2] == headCount * headDimension,
            "keys \(keys.shape) and values \(values.shape) must be [B, S, H·D]")
        return withExtendedLifetime((keys, values)) {
            attend(
                query: query, rows: rows, keys: keys.storage.pointer, values: values.storage.pointer,
                batchRows: keys.shape[0], rowsPerBatch: keys.shape[1], length: keys.shape[1], headCount: headCount,
                keyValueHeads: headCount, headDimension: headDimension, bias: bias, mask: mask)
        }
    }

    private static func attend(
        query: Tensor, rows: [Int], keys: UnsafePointer<Float>, values: UnsafePointer<Float>, batchRows: Int,
        rowsPerBatch: Int, length: Int, headCount: Int, keyValueHeads: Int, headDimension: Int, bias: [Float]?,
        mask: [Float]?
    ) -> Tensor {
        let batch = query.shape[0]
        let width = headCount * headDimension
        let keyValueWidth = keyValueHeads * headDimension
        let groupSize = headCount / keyValueHeads
        precondition(query.shape == [rows.count, width], "query \(query.shape) must be [\(rows.count), \(width)]")
        precondition(rows.allSatisfy { $0 >= 0 && $0 < batchRows }, "a batch row is outside 0..<\(batchRows)")
        precondition(bias.map { $0.count == headCount * length } ?? true, "bias must be [H, length]")
        precondition(mask.map { $0.count == batchRows * length } ?? true, "mask must be [B, length]")
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
                        let kv = b * rowsPerBatch * keyValueWidth + (h / groupSize) * headDimension
                        // Scores q · k_j + bias + mask, softmax, then Σ_j w_j · v_j.
                        detox_attend_one(
                            q + a * width + h * headDimension, keys + kv, values + kv,
                            keyValueWidth, length, headDimension,
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
