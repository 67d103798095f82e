import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Testing

/// Grouped-query attention (fewer key/value heads than query heads) and head-broadcast biases in
/// the fused attention, against the plain multi-head attention over keys and values repeated per
/// group (transformers' `repeat_kv`), and against finite differences.
@Suite struct GroupedQueryAttentionTests {
    static let batch = 2, queryLength = 4, keyLength = 6, heads = 4, keyValueHeads = 2, headDimension = 3
    static var width: Int { heads * headDimension }
    static var keyValueWidth: Int { keyValueHeads * headDimension }

    static func inputs(biasShape: [Int], seed: UInt64) -> [Tensor] {
        var generator = SeededGenerator(seed: seed)
        return [
            Tensor.randomNormal([batch, queryLength, width], generator: &generator),
            Tensor.randomNormal([batch, keyLength, keyValueWidth], generator: &generator),
            Tensor.randomNormal([batch, keyLength, keyValueWidth], generator: &generator),
            Tensor.randomNormal(biasShape, generator: &generator),
        ]
    }

    /// `[B, L, Hkv·D]` → `[B, L, H·D]`, each key/value head repeated for the query heads of its group.
    static func repeated(_ x: Tensor) -> Tensor {
        let group = heads / keyValueHeads
        return x.reshaped([batch, x.shape[1], keyValueHeads, 1, headDimension])
            .broadcasted(to: [batch, x.shape[1], keyValueHeads, group, headDimension])
            .reshaped([batch, x.shape[1], width])
    }

    static func grouped(_ x: [Tensor]) -> Tensor {
        Attention.multiHead(
            query: x[0], key: x[1], value: x[2], bias: x[3], headCount: heads, keyValueHeadCount: keyValueHeads)
    }

    static func reference(_ x: [Tensor]) -> Tensor {
        let bias = x[3].broadcasted(to: [x[3].shape[0], heads, queryLength, keyLength])
        return Attention.multiHead(
            query: x[0], key: repeated(x[1]), value: repeated(x[2]), bias: bias, headCount: heads)
    }

    @Test(arguments: [[1, 1, 4, 6], [2, 1, 4, 6], [2, 4, 4, 6], [1, 4, 4, 6]])
    func matchesRepeatedKeysAndValuesWithGradients(biasShape: [Int]) throws {
        let leaves = Self.inputs(biasShape: biasShape, seed: 21).map { $0.requiringGrad() }
        var generator = SeededGenerator(seed: 22)
        let weights = Tensor.randomNormal([Self.batch, Self.queryLength, Self.width], generator: &generator)
        let output = Self.grouped(leaves)
        let expected = Self.reference(leaves)
        #expect(output.shape == expected.shape)
        // Same products in the same order; only the bias gradient's sums are ordered differently.
        #expect(TestSupport.closeness(output.values, expected.values, rtol: 1e-6, atol: 1e-6) == nil)
        let grads = try (output * weights).sum().backward()
        let expectedGrads = try (expected * weights).sum().backward()
        for (index, leaf) in leaves.enumerated() {
            let grad = try #require(grads[leaf], "no gradient for input \(index)")
            let want = try #require(expectedGrads[leaf], "no reference gradient for input \(index)")
            #expect(grad.shape == leaf.shape, "input \(index)")
            #expect(
                TestSupport.closeness(grad.values, want.values, rtol: 1e-5, atol: 1e-5) == nil, "input \(index)")
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        let inputs = Self.inputs(biasShape: [2, 1, 4, 6], seed: 23)
        let problem = TestSupport.gradientCheck(inputs, epsilon: 1e-2, rtol: 2e-2, atol: 2e-3) { x in
            Self.grouped(x)
        }
        #expect(problem == nil)
        let dropped = TestSupport.gradientCheck(inputs, epsilon: 1e-2, rtol: 2e-2, atol: 2e-3) { x in
            Attention.multiHead(
                query: x[0], key: x[1], value: x[2], bias: x[3], headCount: Self.heads,
                keyValueHeadCount: Self.keyValueHeads, dropout: (0.25, 7))
        }
        #expect(dropped == nil)
    }

    /// A decoding step's attention with grouped heads equals the last query row of the full
    /// attention over the same keys and values.
    @Test func stepAttentionMatchesTheLastRow() throws {
        let x = Self.inputs(biasShape: [1, 1, 4, 6], seed: 24)
        let cache = KeyValueBuffer(batch: Self.batch, capacity: Self.keyLength + 2, width: Self.keyValueWidth)
        cache.writePrefix(keys: x[1], values: x[2])
        let lastQuery = x[0].slice(axis: 1, 3..<4) // [B, 1, H·D]
        let zeroBias = Tensor.zeros([1, 1, 1, Self.keyLength])
        let full = Self.grouped([lastQuery, x[1], x[2], zeroBias]).values
        let rows = [1, 0]
        let query = Tensor(
            rows.flatMap { b in Array(lastQuery.values[(b * Self.width)..<((b + 1) * Self.width)]) },
            shape: [2, Self.width])
        let step = StepAttention.attend(
            query: query, rows: rows, cache: cache, length: Self.keyLength, headCount: Self.heads,
            headDimension: Self.headDimension, keyValueHeadCount: Self.keyValueHeads, bias: nil, mask: nil)
        let expected = rows.flatMap { b in Array(full[(b * Self.width)..<((b + 1) * Self.width)]) }
        #expect(TestSupport.closeness(step.values, expected, rtol: 1e-5, atol: 1e-6) == nil)
    }
}
