import DetoxNN
import DetoxTensor
import Testing

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// One-query attention for a decoding step, over a growing cache and over fixed keys and values,
/// against the softmax-weighted sum written out by hand.
@Suite struct StepAttentionTests {
    /// Two batch rows, three positions, two heads of dimension two.
    static let keys: [Float] = (0..<12 * 2).map { Float(($0 * 7) % 11) / 10 - 0.5 }
    static let values: [Float] = (0..<12 * 2).map { Float(($0 * 5) % 13) / 10 - 0.6 }

    /// Σ_j softmax(q · k_j + bias_j + mask_j) v_j for one head of one batch row, in f64.
    static func expected(
        query: [Float], batchRow b: Int, head h: Int, length: Int, bias: [Float]?, mask: [Float]?
    ) -> [Float] {
        let (positions, heads, dimension) = (3, 2, 2)
        let width = heads * dimension
        var scores = (0..<length).map { j -> Double in
            let k = (b * positions + j) * width + h * dimension
            var s = (0..<dimension).reduce(0.0) { $0 + Double(query[h * dimension + $1] * keys[k + $1]) }
            s += Double(bias?[h * length + j] ?? 0) + Double(mask?[b * length + j] ?? 0)
            return s
        }
        let maximum = scores.max() ?? 0
        scores = scores.map { exp($0 - maximum) }
        let total = scores.reduce(0, +)
        return (0..<dimension).map { d in
            Float(
                (0..<length).reduce(0.0) {
                    $0 + scores[$1] / total * Double(values[(b * positions + $1) * width + h * dimension + d])
                })
        }
    }

    @Test func cacheAndFixedKeysMatchTheWrittenOutAttention() throws {
        let cache = KeyValueBuffer(batch: 2, capacity: 3, width: 4)
        for position in 0..<3 {
            // Rows in reverse order: row a of the step's tensors goes to batch row rows[a].
            let rows = [1, 0]
            let stepKeys = rows.flatMap { b in Self.keys[((b * 3 + position) * 4)..<((b * 3 + position) * 4 + 4)] }
            let stepValues = rows.flatMap { b in Self.values[((b * 3 + position) * 4)..<((b * 3 + position) * 4 + 4)] }
            cache.write(
                position: position, rows: rows, keys: Tensor(stepKeys, shape: [2, 4]),
                values: Tensor(stepValues, shape: [2, 4]))
        }
        let query: [Float] = [0.3, -0.2, 0.5, 0.1]
        let bias: [Float] = [0.1, -0.3, 0.2, 0.0] // [H, length 2]
        let grown = StepAttention.attend(
            query: Tensor(query, shape: [1, 4]), rows: [1], cache: cache, length: 2, headCount: 2,
            headDimension: 2, bias: bias, mask: nil)
        let want =
            Self.expected(query: query, batchRow: 1, head: 0, length: 2, bias: bias, mask: nil)
            + Self.expected(query: query, batchRow: 1, head: 1, length: 2, bias: bias, mask: nil)
        #expect(grown.shape == [1, 4])
        #expect(zip(grown.values, want).allSatisfy { Swift.abs($0 - $1) < 1e-6 }, "\(grown.values) vs \(want)")

        let mask: [Float] = [0, 0, -1e9, 0, 0, 0] // [B, 3]: batch row 0 ignores position 2
        let fixed = StepAttention.attend(
            query: Tensor(query + query, shape: [2, 4]), rows: [0, 1],
            keys: Tensor(Self.keys.prefix(24).map { $0 }, shape: [2, 3, 4]),
            values: Tensor(Self.values.prefix(24).map { $0 }, shape: [2, 3, 4]), headCount: 2, headDimension: 2,
            bias: nil, mask: mask)
        let fixedWant = [0, 1].flatMap { b in
            [0, 1].flatMap { h in Self.expected(query: query, batchRow: b, head: h, length: 3, bias: nil, mask: mask) }
        }
        #expect(zip(fixed.values, fixedWant).allSatisfy { Swift.abs($0 - $1) < 1e-6 }, "\(fixed.values)")
    }
}
