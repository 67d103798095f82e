import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Testing

/// The fused attention against the unfused composition it replaces (split heads, Q·Kᵀ + bias,
/// softmax, ·V, merge heads), whose pieces have their own parity tests, and its dropout path
/// against finite differences.
@Suite struct AttentionTests {
    static let batch = 2, queryLength = 5, keyLength = 7, heads = 3, headDimension = 4
    static var width: Int { heads * headDimension }

    static func inputs(biasBatch: Int, seed: UInt64) -> [Tensor] {
        var generator = SeededGenerator(seed: seed)
        return [
            Tensor.randomNormal([batch, queryLength, width], generator: &generator),
            Tensor.randomNormal([batch, keyLength, width], generator: &generator),
            Tensor.randomNormal([batch, keyLength, width], generator: &generator),
            Tensor.randomNormal([biasBatch, heads, queryLength, keyLength], generator: &generator),
        ]
    }

    /// The unfused reference.
    static func composed(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ bias: Tensor) -> Tensor {
        func split(_ x: Tensor) -> Tensor {
            x.reshaped([batch, x.shape[1], heads, headDimension]).permuted([0, 2, 1, 3])
        }
        let weights = (split(q).matmul(split(k), transposeOther: true) + bias).softmax()
        return weights.matmul(split(v)).permuted([0, 2, 1, 3]).reshaped([batch, queryLength, width])
    }

    static func fused(_ inputs: [Tensor], dropout: (probability: Float, seed: UInt64)? = nil) -> Tensor {
        Attention.multiHead(
            query: inputs[0], key: inputs[1], value: inputs[2], bias: inputs[3],
            headCount: heads, dropout: dropout)
    }

    @Test(arguments: [1, 2])
    func matchesComposedOperationsAndTheirGradients(biasBatch: Int) throws {
        let leaves = Self.inputs(biasBatch: biasBatch, seed: 7).map { $0.requiringGrad() }
        var generator = SeededGenerator(seed: 8)
        let weights = Tensor.randomNormal([Self.batch, Self.queryLength, Self.width], generator: &generator)

        let fusedOutput = Self.fused(leaves)
        let composedOutput = Self.composed(leaves[0], leaves[1], leaves[2], leaves[3])
        #expect(fusedOutput.shape == composedOutput.shape)
        // Both are f32 with different summation orders: 1e-5 on values of order 1.
        #expect(TestSupport.closeness(fusedOutput.values, composedOutput.values, rtol: 1e-5, atol: 1e-5) == nil)

        let fusedGrads = try (fusedOutput * weights).sum().backward()
        let composedGrads = try (composedOutput * weights).sum().backward()
        for (index, leaf) in leaves.enumerated() {
            let fusedGrad = try #require(fusedGrads[leaf], "no fused gradient for input \(index)")
            let composedGrad = try #require(composedGrads[leaf], "no composed gradient for input \(index)")
            #expect(fusedGrad.shape == leaf.shape)
            #expect(
                TestSupport.closeness(fusedGrad.values, composedGrad.values, rtol: 1e-4, atol: 1e-5) == nil,
                "input \(index)")
        }
    }

    /// With only some inputs trained (a key from a frozen projection of the embeddings), those get
    /// the same gradients as when every input is trained, and the others get none.
    @Test(arguments: [[0, 2], [1], [2, 3], [0]])
    func onlyTrainedInputsGetGradients(trained: [Int]) throws {
        let all = Self.inputs(biasBatch: 2, seed: 11).map { $0.requiringGrad() }
        let some = Self.inputs(biasBatch: 2, seed: 11).enumerated().map {
            trained.contains($0.offset) ? $0.element.requiringGrad() : $0.element
        }
        var generator = SeededGenerator(seed: 12)
        let weights = Tensor.randomNormal([Self.batch, Self.queryLength, Self.width], generator: &generator)
        let allGrads = try (Self.fused(all) * weights).sum().backward()
        let someGrads = try (Self.fused(some) * weights).sum().backward()
        #expect(someGrads.count == trained.count)
        for index in trained {
            let expected = try #require(allGrads[all[index]]).values
            #expect(try #require(someGrads[some[index]]).values == expected, "input \(index)")
        }
    }

    @Test func maskedKeysGetNoWeight() {
        // A large negative bias on the last key of every query: its value must not reach the output.
        var inputs = Self.inputs(biasBatch: 1, seed: 9)
        var bias = inputs[3].values
        for row in 0..<(Self.heads * Self.queryLength) {
            bias[row * Self.keyLength + Self.keyLength - 1] = -Float.greatestFiniteMagnitude
        }
        inputs[3] = Tensor(bias, shape: inputs[3].shape)
        let before = Tensor.withNoGrad { Self.fused(inputs) }.values
        var value = inputs[2].values
        for b in 0..<Self.batch {
            for j in 0..<Self.width { value[(b * Self.keyLength + Self.keyLength - 1) * Self.width + j] += 100 }
        }
        inputs[2] = Tensor(value, shape: inputs[2].shape)
        let after = Tensor.withNoGrad { Self.fused(inputs) }.values
        #expect(before == after)
    }

    @Test func dropoutIsSeededAndDifferentiable() {
        let inputs = Self.inputs(biasBatch: 2, seed: 10)
        let first = Tensor.withNoGrad { Self.fused(inputs, dropout: (0.3, 42)) }.values
        let again = Tensor.withNoGrad { Self.fused(inputs, dropout: (0.3, 42)) }.values
        let other = Tensor.withNoGrad { Self.fused(inputs, dropout: (0.3, 43)) }.values
        let none = Tensor.withNoGrad { Self.fused(inputs) }.values
        #expect(first == again)
        #expect(first != other)
        #expect(first != none)
        // The mask is fixed by the seed, so the function is smooth in every input.
        let problem = TestSupport.gradientCheck(inputs, epsilon: 1e-2, rtol: 2e-2, atol: 2e-3) { x in
            Self.fused(x, dropout: (0.3, 42))
        }
        #expect(problem == nil)
    }

    @Test func dropoutMaskIsSeededScaledAndReusedByBackward() throws {
        let count = 1 << 14
        let x = Tensor.full([count], 2).requiringGrad()
        let y = x.dropout(probability: 0.25, seed: 5)
        let values = y.values
        let kept = values.filter { $0 != 0 }
        // About 75% kept, each scaled by 1/0.75; the same seed gives the same mask on any thread split.
        #expect(abs(Double(kept.count) / Double(count) - 0.75) < 0.02)
        #expect(kept.allSatisfy { abs($0 - 2 / 0.75) < 1e-6 })
        #expect(Tensor.withNoGrad { x.dropout(probability: 0.25, seed: 5) }.values == values)
        #expect(Tensor.withNoGrad { x.dropout(probability: 0.25, seed: 6) }.values != values)
        let grads = try y.sum().backward()
        let gradient = try #require(grads[x]).values
        #expect((0..<count).allSatisfy { (gradient[$0] != 0) == (values[$0] != 0) })
    }
}
