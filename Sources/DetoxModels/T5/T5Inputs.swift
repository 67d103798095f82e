import DetoxTensor

/// Checks and flattens the token-id and mask rows handed to a T5 model.
enum T5Inputs {
    /// Largest negative f32, the additive value transformers uses for masked positions (`finfo.min`).
    static let maskValue: Float = -Float.greatestFiniteMagnitude

    /// Row-major ids of a rectangular batch, each in `0..<vocabulary` (or `allowed`).
    static func flatten(_ rows: [[Int]], name: String, vocabulary: Int, allowed: Set<Int> = []) throws
        -> (ids: [Int], batch: Int, length: Int)
    {
        guard let first = rows.first else { throw ModelError.invalidInput("\(name) is empty") }
        let length = first.count
        guard length > 0 else { throw ModelError.invalidInput("\(name) rows are empty") }
        var ids: [Int] = []
        ids.reserveCapacity(rows.count * length)
        for (r, row) in rows.enumerated() {
            guard row.count == length else {
                throw ModelError.invalidInput(
                    "\(name) row \(r) has \(row.count) tokens, row 0 has \(length) (pad rows to one length)")
            }
            for id in row where (id < 0 || id >= vocabulary) && !allowed.contains(id) {
                throw ModelError.invalidInput(
                    "\(name) row \(r) holds id \(id), outside the vocabulary 0..<\(vocabulary)")
            }
            ids.append(contentsOf: row)
        }
        return (ids, rows.count, length)
    }

    /// A 0/1 mask shaped `[batch, length]` as floats (all ones when `nil`).
    static func mask(_ rows: [[Int]]?, name: String, batch: Int, length: Int) throws -> [Float] {
        guard let rows else { return [Float](repeating: 1, count: batch * length) }
        guard rows.count == batch else {
            throw ModelError.invalidInput("\(name) has \(rows.count) rows, the ids have \(batch)")
        }
        var mask = [Float](repeating: 0, count: batch * length)
        for (r, row) in rows.enumerated() {
            guard row.count == length else {
                throw ModelError.invalidInput("\(name) row \(r) has \(row.count) entries, the ids have \(length)")
            }
            for (j, m) in row.enumerated() {
                guard m == 0 || m == 1 else {
                    throw ModelError.invalidInput("\(name) row \(r) holds \(m); masks are 0 or 1")
                }
                mask[r * length + j] = Float(m)
            }
        }
        return mask
    }

    /// `(1 − mask) · finfo.min` shaped `[B, 1, 1, L]`: the encoder and cross-attention mask.
    static func additivePaddingMask(_ mask: [Float], batch: Int, length: Int) -> Tensor {
        Tensor.build(shape: [batch, 1, 1, length]) { p, n in
            for i in 0..<n { p[i] = mask[i] == 0 ? maskValue : 0 }
        }
    }

    /// The decoder's causal mask combined with its padding mask, `[B, 1, T, T]`: `finfo.min` where
    /// key > query or the key is padding, else 0 (transformers' 4-D causal mask).
    static func additiveCausalMask(_ mask: [Float], batch: Int, length: Int) -> Tensor {
        Tensor.build(shape: [batch, 1, length, length]) { p, _ in
            for b in 0..<batch {
                for i in 0..<length {
                    let row = p + (b * length + i) * length
                    for j in 0..<length { row[j] = (j > i || mask[b * length + j] == 0) ? maskValue : 0 }
                }
            }
        }
    }
}
