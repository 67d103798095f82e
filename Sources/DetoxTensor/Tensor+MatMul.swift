import CDetoxBLAS
import CDetoxKernels

// MARK: - Matrix products

extension Tensor {
    /// Matrix product over the last two axes, with optional transposes read by flag (no copy).
    ///
    /// - `self`: `[..., M, K]` (or `[..., K, M]` when `transposeSelf`).
    /// - `other`: `[K, N]` (or `[N, K]` when `transposeOther`), shared by every batch; or batched with
    ///   the same leading dimensions as `self`.
    /// - Returns: `[..., M, N]`.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul needs rank ≥ 2, got \(shape) and \(other.shape)")
        if other.rank == 2 && rank > 2 && !transposeSelf {
            // Fold the batch into M: one large product instead of many small ones.
            let flat = reshaped([-1, shape[rank - 1]])
            let product = flat.matmul(other, transposeOther: transposeOther)
            return product.reshaped(Array(shape.dropLast()) + [product.shape[1]])
        }
        let batchShape = Array(shape.dropLast(2))
        precondition(
            other.rank == 2 && rank == 2 || Array(other.shape.dropLast(2)) == batchShape,
            "matmul batch dimensions differ: \(shape) and \(other.shape)")
        let m = transposeSelf ? shape[rank - 1] : shape[rank - 2]
        let k = transposeSelf ? shape[rank - 2] : shape[rank - 1]
        let otherK = transposeOther ? other.shape[other.rank - 1] : other.shape[other.rank - 2]
        let n = transposeOther ? other.shape[other.rank - 2] : other.shape[other.rank - 1]
        precondition(
            k == otherK,
            "matmul inner dimensions differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")"
        )
        let batch = batchShape.reduce(1, *)
        let a = self
        let b = other
        let result = Tensor.build(shape: batchShape + [m, n]) { out, _ in
            // Many small products (attention heads): one per thread beats splitting each across threads.
            let perThread = batch >= Parallel.coreCount && m * n * k < 1 << 24
            Parallel.forChunks(batch, minimum: perThread ? 2 : batch + 1) { start, end in
                for i in start..<end {
                    Tensor.gemm(
                        transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                        a: a.storage.pointer + i * m * k, b: b.storage.pointer + i * k * n, c: out + i * m * n)
                }
            }
        }
        return Tensor.record(result, inputs: [a, b]) { g in
            let gradA: Tensor?
            let gradB: Tensor?
            switch (transposeSelf, transposeOther) {
            case (false, false):
                gradA = a.node == nil ? nil : g.matmul(b, transposeOther: true)
                gradB = b.node == nil ? nil : a.matmul(g, transposeSelf: true)
            case (false, true):
                gradA = a.node == nil ? nil : g.matmul(b)
                gradB = b.node == nil ? nil : g.matmul(a, transposeSelf: true)
            case (true, false):
                gradA = a.node == nil ? nil : b.matmul(g, transposeOther: true)
                gradB = b.node == nil ? nil : a.matmul(g)
            case (true, true):
                gradA = a.node == nil ? nil : b.matmul(g, transposeSelf: true, transposeOther: true)
                gradB = b.node == nil ? nil : g.matmul(a, transposeSelf: true, transposeOther: true)
            }
            return [gradA, gradB]
        }
    }

    /// Products `A·Bᵀ` with at most this many rows of `A` skip `sgemm` (see `gemm`).
    public static let smallRowCount = 16

    /// Products with at least this many multiply-adds go to oneDNN's matmul primitive (see `gemm`).
    public static let largeProductSize = 1 << 23

    /// `C = op(A) · op(B) + beta·C` for row-major `A`, `B`, `C`, writing all of `C`.
    /// Leading dimensions default to the packed ones; pass them to read or write strided slices
    /// (one head of a `[B, L, H·D]` tensor has leading dimension `H·D`).
    ///
    /// Three paths, by shape: `A·Bᵀ` with at most ``smallRowCount`` rows (a decoding step's
    /// projections and logits) runs on `detox_gemm_nt_small`, which reads `B` once straight from
    /// memory where `sgemm` would first pack it; a product of at least ``largeProductSize``
    /// multiply-adds runs on oneDNN's matmul primitive when it can (10–25% faster than `sgemm` on
    /// most of t5-small's training products here); the rest runs on BLAS `sgemm`. Inside a
    /// ``Parallel`` chunk every path runs on the calling thread alone (and the matmul primitive
    /// is not used).
    package static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        if m == 0 || n == 0 { return }
        let lda = lda ?? (transposeA ? m : k)
        let ldb = ldb ?? (transposeB ? k : n)
        let ldc = ldc ?? n
        if k == 0 {
            if beta == 0 { for row in 0..<m { (c + row * ldc).initialize(repeating: 0, count: n) } }
            return
        }
        if !transposeA && transposeB && m <= smallRowCount {
            // Four rows of B per block; each thread takes a run of blocks.
            let blocks = (n + 3) / 4
            Parallel.forChunks(blocks, minimum: n * k >= 1 << 16 ? 2 : blocks + 1) { start, end in
                let first = start * 4
                let count = Swift.min(n, end * 4) - first
                detox_gemm_nt_small(m, count, k, a, lda, b + first * ldb, ldb, beta, c + first, ldc)
            }
            return
        }
        if m * n * k >= largeProductSize {
            let status = detox_matmul(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a, lda, b, ldb, beta, c, ldc)
            precondition(status != 2, "oneDNN's matmul failed on a \(m)×\(k)×\(n) product")
            if status == 0 { return }
        }
        #if os(Linux)
            // `dnnl_sgemm` takes BLAS's character flags: 'T' transposes an operand, 'N' does not.
            let transposed = CChar(UInt8(ascii: "T"))
            let notTransposed = CChar(UInt8(ascii: "N"))
            let status = dnnl_sgemm(
                transposeA ? transposed : notTransposed, transposeB ? transposed : notTransposed,
                Int64(m), Int64(n), Int64(k),
                1, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
            precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status)")
        #else
            cblas_sgemm(
                CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k),
                1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        #endif
    }
}

// MARK: - Affine map

extension Tensor {
    /// `x·Wᵀ + b` for `x` `[..., in]`, `weight` `[out, in]` (PyTorch's layout), `bias` `[out]`:
    /// the bias is written into the output first and `sgemm` accumulates onto it, so the bias
    /// costs no extra pass. Returns `[..., out]`.
    public static func affine(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inFeatures = weight.shape[1]
        let outFeatures = weight.shape[0]
        precondition(x.shape.last == inFeatures, "affine: input \(x.shape) does not end in \(inFeatures)")
        guard let bias else { return x.matmul(weight, transposeOther: true) }
        precondition(bias.shape == [outFeatures], "affine: bias \(bias.shape) is not [\(outFeatures)]")
        let rows = x.count / Swift.max(inFeatures, 1)
        let flat = x.reshaped([rows, inFeatures])
        let result = build(shape: [rows, outFeatures]) { out, _ in
            for r in 0..<rows { (out + r * outFeatures).update(from: bias.storage.pointer, count: outFeatures) }
            gemm(
                transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                a: flat.storage.pointer, b: weight.storage.pointer, c: out, beta: 1)
        }
        let recorded = record(result, inputs: [flat, weight, bias]) { g in
            [
                flat.node == nil ? nil : g.matmul(weight),
                weight.node == nil ? nil : g.matmul(flat, transposeSelf: true),
                bias.node == nil ? nil : g.sum(axis: 0),
            ]
        }
        return recorded.reshaped(Array(x.shape.dropLast()) + [outFeatures])
    }
}
