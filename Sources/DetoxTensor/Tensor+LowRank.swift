import CDetoxKernels

// MARK: - Low-rank update of an affine map

extension Tensor {
    /// `x·Wᵀ + b + scale·(x·Aᵀ)·Bᵀ` — an affine map with a low-rank update, as a LoRA layer without
    /// dropout computes it — as one differentiable operation.
    ///
    /// Composed from single products it would cost an extra pass over the output to add the update,
    /// and another over the input's gradient to add the two paths' gradients. Here the update's
    /// product accumulates straight onto the base product (`beta = 1`), and in the backward pass
    /// the update's input gradient accumulates onto the base's the same way. `scale` is applied at
    /// rank `r`, to `x·Aᵀ`.
    ///
    /// - Parameters:
    ///   - x: `[..., in]`.
    ///   - weight: `W`, `[out, in]`; `bias`: `[out]`.
    ///   - down: `A`, `[r, in]`; `up`: `B`, `[out, r]`.
    /// - Returns: `[..., out]`.
    public static func lowRankAffine(
        _ x: Tensor, weight: Tensor, bias: Tensor?, down: Tensor, up: Tensor, scale: Float
    ) -> Tensor {
        let inFeatures = weight.shape[1]
        let outFeatures = weight.shape[0]
        let rank = down.shape[0]
        precondition(x.shape.last == inFeatures, "lowRankAffine: input \(x.shape) does not end in \(inFeatures)")
        precondition(
            down.shape == [rank, inFeatures] && up.shape == [outFeatures, rank],
            "lowRankAffine: A \(down.shape) and B \(up.shape) do not fit W \(weight.shape)")
        precondition(bias.map { $0.shape == [outFeatures] } ?? true, "lowRankAffine: bias is not [\(outFeatures)]")
        let rows = x.count / Swift.max(inFeatures, 1)
        let flat = x.reshaped([rows, inFeatures])
        // scale·x·Aᵀ, kept for the backward pass.
        let projected = build(shape: [rows, rank]) { out, count in
            gemm(
                transposeA: false, transposeB: true, m: rows, n: rank, k: inFeatures,
                a: flat.storage.pointer, b: down.storage.pointer, c: out)
            detox_scale(out, count, scale)
        }
        let result = build(shape: [rows, outFeatures]) { out, _ in
            if let bias {
                for r in 0..<rows { (out + r * outFeatures).update(from: bias.storage.pointer, count: outFeatures) }
            }
            gemm(
                transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                a: flat.storage.pointer, b: weight.storage.pointer, c: out, beta: bias == nil ? 0 : 1)
            gemm(
                transposeA: false, transposeB: true, m: rows, n: outFeatures, k: rank,
                a: projected.storage.pointer, b: up.storage.pointer, c: out, beta: 1)
        }
        let inputs = [flat, weight, down, up] + (bias.map { [$0] } ?? [])
        let recorded = record(result, inputs: inputs) { g in
            // d(scale·x·Aᵀ) = g·B; the scale then carries on to A and x.
            var gradProjected: Tensor?
            if flat.node != nil || down.node != nil {
                gradProjected = build(shape: [rows, rank]) { out, count in
                    gemm(
                        transposeA: false, transposeB: false, m: rows, n: rank, k: outFeatures,
                        a: g.storage.pointer, b: up.storage.pointer, c: out)
                    detox_scale(out, count, scale)
                }
            }
            var gradX: Tensor?
            if flat.node != nil, let gradProjected {
                gradX = build(shape: [rows, inFeatures]) { out, _ in
                    gemm(
                        transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
                        a: g.storage.pointer, b: weight.storage.pointer, c: out)
                    gemm(
                        transposeA: false, transposeB: false, m: rows, n: inFeatures, k: rank,
                        a: gradProjected.storage.pointer, b: down.storage.pointer, c: out, beta: 1)
                }
            }
            return [
                gradX,
                weight.node == nil ? nil : g.matmul(flat, transposeSelf: true),
                down.node == nil ? nil : gradProjected?.matmul(flat, transposeSelf: true),
                up.node == nil ? nil : g.matmul(projected, transposeSelf: true),
            ]
                + (bias.map { [$0.node == nil ? nil : g.sum(axis: 0)] } ?? [])
        }
        return recorded.reshaped(Array(x.shape.dropLast()) + [outFeatures])
    }
}
