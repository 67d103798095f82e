import CDetoxKernels
import DetoxTensor

/// Multi-head attention with an additive bias, fused: `softmax(Q·Kᵀ + bias) · V` per head, with
/// dropout on the attention weights, as one differentiable operation.
///
/// Heads are read and written in place in the `[B, L, H·D]` layout the projections produce, so
/// nothing is permuted; each (batch row, head) pair is an independent job, and the pairs are spread
/// over the cores with single-threaded products inside. The softmax weights are kept for the
/// backward pass (`[B, H, Lq, Lk]`, as an unfused graph would keep them); the dropout mask is
/// regenerated from its seed. No `1/√d` scaling: T5 folds it into its initialisation (scale `query` for
/// other models).
///
/// Grouped-query attention (Llama's `num_key_value_heads`): with `Hkv` key/value heads, query head
/// `h` reads key/value head `h / (H / Hkv)`, as transformers' `repeat_kv` does, without repeating
/// anything in memory; the key and value gradients sum over each group.
public enum Attention {
    /// - Parameters:
    ///   - query: `[B, Lq, H·D]`.
    ///   - key, value: `[B, Lk, Hkv·D]`.
    ///   - bias: `[1 or B, 1 or H, Lq, Lk]` added to the scores (position bias plus additive mask);
    ///     one head's block serves every head when its second axis is 1.
    ///   - headCount: `H`.
    ///   - keyValueHeadCount: `Hkv`, a divisor of `H`; `nil` means `H`.
    ///   - dropout: probability of zeroing an attention weight (training), and the seed of its mask.
    /// - Returns: `[B, Lq, H·D]`.
    public static func multiHead(
        query: Tensor, key: Tensor, value: Tensor, bias: Tensor, headCount: Int, keyValueHeadCount: Int? = nil,
        dropout: (probability: Float, seed: UInt64)? = nil
    ) -> Tensor {
        let batch = query.shape[0]
        let queryLength = query.shape[1]
        let width = query.shape[2]
        let keyLength = key.shape[1]
        let headDimension = width / headCount
        let keyValueHeads = keyValueHeadCount ?? headCount
        precondition(width % headCount == 0, "attention: width \(width) is not a multiple of \(headCount) heads")
        precondition(
            keyValueHeads > 0 && headCount % keyValueHeads == 0,
            "attention: \(headCount) heads do not split into groups over \(keyValueHeads) key/value heads")
        precondition(
            key.shape == [batch, keyLength, keyValueHeads * headDimension] && value.shape == key.shape,
            "attention: key \(key.shape) and value \(value.shape) do not fit query \(query.shape)")
        let biasBatch = bias.shape[0]
        let biasHeads = bias.rank == 4 ? bias.shape[1] : 0
        precondition(
            bias.shape == [biasBatch, biasHeads, queryLength, keyLength] && (biasBatch == 1 || biasBatch == batch)
                && (biasHeads == 1 || biasHeads == headCount),
            "attention: bias \(bias.shape) does not fit [\(batch), \(headCount), \(queryLength), \(keyLength)]")
        let pairs = batch * headCount
        let square = queryLength * keyLength
        let shape = Shape(
            batch: batch, heads: headCount, keyValueHeads: keyValueHeads, queryLength: queryLength,
            keyLength: keyLength, headDimension: headDimension, biasBatch: biasBatch, biasHeads: biasHeads)
        let drop = dropout.flatMap {
            $0.probability > 0
                ? DropoutMask(
                    probability: $0.probability, seed: $0.seed, rows: DropoutRows.current.resolved(count: batch),
                    heads: headCount, queryLength: queryLength, keyLength: keyLength) : nil
        }
        precondition(drop.map { $0.probability < 1 } ?? true, "attention dropout probability must be below 1")

        // Forward: weights = softmax(QKᵀ + bias) kept for backward; context = dropout(weights) · V.
        let q = query.storage.pointer
        let k = key.storage.pointer
        let v = value.storage.pointer
        let b = bias.storage.pointer
        // The weights of every pair are kept only when a backward pass may need them; otherwise each
        // thread reuses one pair's worth of scratch.
        let recording = Tensor.isGradEnabled && [query, key, value, bias].contains { $0.node != nil }
        let weights = recording ? TensorStorage(uninitializedCount: pairs * square) : nil
        let context = Tensor.build(shape: [batch, queryLength, width]) { out, _ in
            Parallel.forChunks(pairs, minimum: 2) { start, end in
                let dropped = UnsafeMutablePointer<Float>.allocate(capacity: drop == nil ? 1 : square)
                let ownWeights = UnsafeMutablePointer<Float>.allocate(capacity: weights == nil ? square : 1)
                defer {
                    dropped.deallocate()
                    ownWeights.deallocate()
                }
                for pair in start..<end {
                    let p = weights.map { $0.pointer + pair * square } ?? ownWeights
                    let head = shape.offsets(pair)
                    Tensor.gemm(
                        transposeA: false, transposeB: true, m: queryLength, n: keyLength, k: headDimension,
                        a: q + head.query, b: k + head.key, c: p, lda: width, ldb: shape.keyValueWidth)
                    detox_softmax_rows(p, b + head.bias, queryLength, keyLength)
                    var used = UnsafePointer(p)
                    if let drop {
                        drop.apply(p, to: dropped, pair: pair)
                        used = UnsafePointer(dropped)
                    }
                    Tensor.gemm(
                        transposeA: false, transposeB: false, m: queryLength, n: headDimension, k: keyLength,
                        a: used, b: v + head.key, c: out + head.query, ldb: shape.keyValueWidth, ldc: width)
                }
            }
        }
        guard let weights else { return context }
        let saved = Tensor(storage: weights, shape: [pairs * square])
        return Tensor.record(context, inputs: [query, key, value, bias]) { g in
            backward(
                g, query: query, key: key, value: value, weights: saved, drop: drop, shape: shape,
                needs: (query.node != nil, key.node != nil, value.node != nil, bias.node != nil))
        }
    }

    /// The sizes of one call and where each (batch row, head) pair lives in each buffer.
    struct Shape {
        let batch, heads, keyValueHeads, queryLength, keyLength, headDimension, biasBatch, biasHeads: Int
        var width: Int { heads * headDimension }
        var keyValueWidth: Int { keyValueHeads * headDimension }
        /// Query heads per key/value head.
        var groupSize: Int { heads / keyValueHeads }

        /// Element offsets of a pair's first query/context row, first key/value row and bias block.
        func offsets(_ pair: Int) -> (query: Int, key: Int, bias: Int) {
            let b = pair / heads
            let h = pair % heads
            return (
                b * queryLength * width + h * headDimension,
                b * keyLength * keyValueWidth + (h / groupSize) * headDimension,
                ((biasBatch == 1 ? 0 : b) * biasHeads + (biasHeads == 1 ? 0 : h)) * queryLength * keyLength
            )
        }
    }

    /// Dropout on the attention weights: the counter-based mask of `Tensor.dropout`, each query's
    /// weights one line keyed by (global row, head, query position − the row's start) and each
    /// weight counted from the row's first real key (``DropoutRows``), so a row's mask does not
    /// depend on its shard or its padding, and the backward pass regenerates it from the seed.
    struct DropoutMask {
        let probability: Float
        let seed: UInt64
        /// The batch's rows, resolved when the forward pass ran (the backward pass runs outside it).
        let rows: DropoutRows
        let heads, queryLength, keyLength: Int

        /// `out = weights · mask / (1 − p)` for one pair's `[Lq, Lk]` weights (`out` may be `weights`).
        func apply(_ weights: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>, pair: Int) {
            let keep = 1 - probability
            let row = pair / heads
            let start = rows.start(row)
            let head = DropoutRows.lineSeed(rows.seed(seed, row: row), index: pair % heads)
            for query in 0..<queryLength {
                let key = DropoutRows.lineSeed(head, index: query - start)
                let offset = query * keyLength
                detox_dropout(
                    weights + offset, out + offset, keyLength, keep, 1 / keep, key, UInt64(bitPattern: Int64(-start)))
            }
        }
    }

    /// Gradients for query, key, value and bias, each only where `needs` asks for it (a key
    /// projected from the embeddings by a frozen weight needs none, nor does a constant bias).
    ///
    /// Work is split by (batch row, key/value head): the query heads of one group run in turn on one
    /// thread, the first writing the key and value gradients and the others adding to them.
    static func backward(
        _ g: Tensor, query: Tensor, key: Tensor, value: Tensor, weights: Tensor,
        drop: DropoutMask?, shape: Shape, needs: (query: Bool, key: Bool, value: Bool, bias: Bool)
    ) -> [Tensor?] {
        let queryLength = shape.queryLength
        let keyLength = shape.keyLength
        let d = shape.headDimension
        let width = shape.width
        let keyValueWidth = shape.keyValueWidth
        let groups = shape.batch * shape.keyValueHeads
        let groupSize = shape.groupSize
        let square = queryLength * keyLength
        let q = query.storage.pointer
        let k = key.storage.pointer
        let v = value.storage.pointer
        let gp = g.storage.pointer
        let w = weights.storage.pointer
        let gradQuery = needs.query ? TensorStorage(uninitializedCount: query.count) : nil
        let gradKey = needs.key ? TensorStorage(uninitializedCount: key.count) : nil
        let gradValue = needs.value ? TensorStorage(uninitializedCount: value.count) : nil
        // dScores per pair, summed over the batch (and heads) afterwards when the bias is broadcast.
        let gradScores = needs.bias ? TensorStorage(uninitializedCount: shape.batch * shape.heads * square) : nil
        let needsScores = needs.query || needs.key || needs.bias
        Parallel.forChunks(groups, minimum: 2) { start, end in
            let dWeights = UnsafeMutablePointer<Float>.allocate(capacity: square)
            let dropped = UnsafeMutablePointer<Float>.allocate(capacity: drop == nil ? 1 : square)
            defer {
                dWeights.deallocate()
                dropped.deallocate()
            }
            for group in start..<end {
                let b = group / shape.keyValueHeads
                let firstHead = (group % shape.keyValueHeads) * groupSize
                for member in 0..<groupSize {
                    let pair = b * shape.heads + firstHead + member
                    let beta: Float = member == 0 ? 0 : 1
                    let head = shape.offsets(pair)
                    let p = w + pair * square
                    var used = UnsafePointer(p)
                    if let drop {
                        drop.apply(p, to: dropped, pair: pair)
                        used = UnsafePointer(dropped)
                    }
                    // dV = dropout(P)ᵀ · dC ; d(dropout(P)) = dC · Vᵀ
                    if let gradValue {
                        Tensor.gemm(
                            transposeA: true, transposeB: false, m: keyLength, n: d, k: queryLength,
                            a: used, b: gp + head.query, c: gradValue.pointer + head.key, beta: beta,
                            lda: keyLength, ldb: width, ldc: keyValueWidth)
                    }
                    guard needsScores else { continue }
                    Tensor.gemm(
                        transposeA: false, transposeB: true, m: queryLength, n: keyLength, k: d,
                        a: gp + head.query, b: v + head.key, c: dWeights, lda: width, ldb: keyValueWidth)
                    drop?.apply(dWeights, to: dWeights, pair: pair)
                    // dS = P ⊙ (dP − Σ_j dP·P), row by row.
                    detox_softmax_backward_rows(p, dWeights, queryLength, keyLength)
                    if let gradScores { (gradScores.pointer + pair * square).update(from: dWeights, count: square) }
                    // dQ = dS · K ; dK = dSᵀ · Q
                    if let gradQuery {
                        Tensor.gemm(
                            transposeA: false, transposeB: false, m: queryLength, n: d, k: keyLength,
                            a: dWeights, b: k + head.key, c: gradQuery.pointer + head.query, ldb: keyValueWidth,
                            ldc: width)
                    }
                    if let gradKey {
                        Tensor.gemm(
                            transposeA: true, transposeB: false, m: keyLength, n: d, k: queryLength,
                            a: dWeights, b: q + head.query, c: gradKey.pointer + head.key, beta: beta,
                            lda: keyLength, ldb: width, ldc: keyValueWidth)
                    }
                }
            }
        }
        var gradBias: Tensor?
        if let gradScores {
            var scores = Tensor(storage: gradScores, shape: [shape.batch, shape.heads, queryLength, keyLength])
            if shape.biasHeads == 1 { scores = scores.sum(axis: 1, keepDims: true) }
            if shape.biasBatch == 1 { scores = scores.sum(axis: 0, keepDims: true) }
            gradBias = scores
        }
        return [
            gradQuery.map { Tensor(storage: $0, shape: query.shape) },
            gradKey.map { Tensor(storage: $0, shape: key.shape) },
            gradValue.map { Tensor(storage: $0, shape: value.shape) }, gradBias,
        ]
    }
}
