import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// Finite-difference checks of every differentiable operation, on small shapes that exercise
/// broadcasting. Tolerance: rtol 1e-2, atol 1e-3 against f64-accumulated central differences with
/// step 1e-2 (f32 evaluation limits how tight a numeric derivative can be).
@Suite struct GradientCheckTests {
    static func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: low, high: high, generator: &generator)
    }

    static let a = random([2, 3, 4], seed: 1)
    static let b = random([3, 4], seed: 2)
    static let column = random([2, 3, 1], seed: 3)
    static let positive = random([2, 3, 4], seed: 4, low: 0.5, high: 2)

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let inputs: [Tensor]
        let f: @Sendable ([Tensor]) -> Tensor
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "add broadcast", inputs: [a, b]) { $0[0] + $0[1] },
        Case(name: "sub broadcast column", inputs: [a, column]) { $0[0] - $0[1] },
        Case(name: "mul broadcast", inputs: [a, b]) { $0[0] * $0[1] },
        Case(name: "div broadcast", inputs: [a, random([4], seed: 5, low: 0.5, high: 2)]) { $0[0] / $0[1] },
        Case(name: "scalar ops", inputs: [a]) { (2 - $0[0] * 3 + 1) / 4 },
        Case(name: "neg", inputs: [a]) { -$0[0] },
        Case(name: "exp", inputs: [a]) { $0[0].exp() },
        Case(name: "log", inputs: [positive]) { $0[0].log() },
        Case(name: "sqrt", inputs: [positive]) { $0[0].sqrt() },
        Case(name: "rsqrt", inputs: [positive]) { $0[0].rsqrt() },
        Case(name: "pow", inputs: [positive]) { $0[0].pow(2.5) },
        Case(name: "tanh", inputs: [a]) { $0[0].tanh() },
        Case(name: "sigmoid", inputs: [a]) { $0[0].sigmoid() },
        Case(name: "relu", inputs: [random([2, 3, 4], seed: 6, low: 0.05, high: 1) * Tensor([1, -1, 1, -1])]) {
            $0[0].relu()
        },
        Case(
            name: "relu over a fresh product (in place)",
            inputs: [random([2, 3, 4], seed: 6, low: 0.05, high: 1) * Tensor([1, -1, 1, -1]), b]
        ) {
            ($0[0] * $0[1]).reshaped([6, 4]).relu()
        },
        Case(name: "abs", inputs: [random([2, 3, 4], seed: 6, low: 0.05, high: 1) * Tensor([1, -1, 1, -1])]) {
            $0[0].abs()
        },
        Case(name: "gelu", inputs: [a * 3]) { $0[0].gelu() },
        Case(name: "gelu_new", inputs: [a * 3]) { $0[0].geluNew() },
        Case(name: "clamp", inputs: [Tensor([-0.9, -0.3, 0.1, 0.35, 0.8, 1.2], shape: [2, 3])]) {
            $0[0].clamped(min: -0.5, max: 0.5)
        },
        Case(name: "maximum", inputs: [a, b]) { $0[0].maximum($0[1]) },
        Case(name: "minimum", inputs: [a, column]) { $0[0].minimum($0[1]) },
        Case(name: "maskedFill", inputs: [a]) { $0[0].maskedFill(Tensor([0, 1, 0, 1]), -3) },
        Case(name: "where", inputs: [a, b]) { Tensor.where(Tensor([1, 0, 0, 1]), $0[0], $0[1]) },
        Case(name: "sum all", inputs: [a]) { $0[0].sum() },
        Case(name: "mean all", inputs: [a]) { $0[0].mean() },
        Case(name: "sum axis 1", inputs: [a]) { $0[0].sum(axis: 1) },
        Case(name: "mean axis -1 keepDims", inputs: [a]) { $0[0].mean(axis: -1, keepDims: true) },
        Case(name: "variance axis 0", inputs: [a]) { $0[0].variance(axis: 0) },
        Case(name: "variance biased", inputs: [a]) { $0[0].variance(axis: -1, unbiased: false) },
        Case(name: "max axis", inputs: [a]) { $0[0].max(axis: 1) },
        Case(name: "min axis keepDims", inputs: [a]) { $0[0].min(axis: -1, keepDims: true) },
        Case(name: "softmax", inputs: [a * 2]) { $0[0].softmax() },
        Case(name: "logSoftmax", inputs: [a * 2]) { $0[0].logSoftmax() },
        Case(name: "matmul", inputs: [random([3, 4], seed: 7), random([4, 5], seed: 8)]) { $0[0].matmul($0[1]) },
        Case(name: "matmul ᵀ·", inputs: [random([4, 3], seed: 7), random([4, 5], seed: 8)]) {
            $0[0].matmul($0[1], transposeSelf: true)
        },
        Case(name: "matmul ·ᵀ", inputs: [random([3, 4], seed: 7), random([5, 4], seed: 8)]) {
            $0[0].matmul($0[1], transposeOther: true)
        },
        Case(name: "matmul ᵀ·ᵀ", inputs: [random([4, 3], seed: 7), random([5, 4], seed: 8)]) {
            $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        },
        Case(name: "batched matmul", inputs: [random([2, 3, 4], seed: 9), random([2, 4, 2], seed: 10)]) {
            $0[0].matmul($0[1])
        },
        Case(name: "batch-folded matmul", inputs: [a, random([4, 5], seed: 11)]) { $0[0].matmul($0[1]) },
        Case(name: "reshape", inputs: [a]) { $0[0].reshaped([4, -1]) * Tensor.arange(0, 6) },
        Case(name: "permute", inputs: [a]) { $0[0].permuted([2, 0, 1]) * Tensor.arange(0, 3) },
        Case(name: "transpose", inputs: [a]) { $0[0].transposed(0, 1) * Tensor.arange(0, 4) },
        Case(name: "slice", inputs: [a]) { $0[0].slice(axis: 1, 1..<3) },
        Case(name: "concatenate", inputs: [a, random([2, 1, 4], seed: 12)]) {
            Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 1)
        },
        Case(name: "indexSelect", inputs: [random([5, 3], seed: 13)]) { $0[0].indexSelect([4, 0, 4, 2]) },
        Case(name: "gatherLast", inputs: [a]) { $0[0].gatherLast([0, 3, 1, 1, 2, 0]) },
        Case(name: "broadcasted", inputs: [column]) { $0[0].broadcasted(to: [2, 3, 4]) * Tensor.arange(0, 4) },
        Case(name: "cumsum", inputs: [a]) { $0[0].cumsum() },
        Case(name: "reuse accumulates", inputs: [a]) { $0[0] * $0[0] + $0[0].exp() },
    ]

    @Test(arguments: cases)
    func gradient(_ testCase: Case) {
        let problem = TestSupport.gradientCheck(testCase.inputs, testCase.f)
        #expect(problem == nil, "\(testCase.name): \(problem ?? "")")
    }
}

@Suite struct GradientCheckerTests {
    /// The checker itself must catch a wrong backward: here d(x²)/dx is recorded as x instead of 2x.
    @Test func detectsAWrongBackward() {
        let problem = TestSupport.gradientCheck([Tensor([0.5, -1, 2])]) { inputs in
            let x = inputs[0]
            return Tensor.record(Tensor.withNoGrad { x * x }, inputs: [x]) { g in [g * x.detached()] }
        }
        #expect(problem != nil)
    }
}

@Suite struct AffineTests {
    @Test func affineMatchesMatmulPlusBiasAndGradients() {
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([2, 3, 4], generator: &generator)
        let w = Tensor.randomNormal([5, 4], generator: &generator)
        let b = Tensor.randomNormal([5], generator: &generator)
        let expected = (x.matmul(w, transposeOther: true) + b).values
        #expect(
            TestSupport.closeness(Tensor.affine(x, weight: w, bias: b).values, expected, rtol: 1e-6, atol: 1e-6) == nil)
        let problem = TestSupport.gradientCheck([x, w, b]) { Tensor.affine($0[0], weight: $0[1], bias: $0[2]) }
        #expect(problem == nil, "\(problem ?? "")")
    }
}

@Suite struct LowRankAffineTests {
    static func inputs(seed: UInt64) -> (x: Tensor, w: Tensor, b: Tensor, a: Tensor, up: Tensor) {
        var generator = SeededGenerator(seed: seed)
        return (
            Tensor.randomNormal([2, 3, 6], generator: &generator), Tensor.randomNormal([5, 6], generator: &generator),
            Tensor.randomNormal([5], generator: &generator), Tensor.randomNormal([2, 6], generator: &generator),
            Tensor.randomNormal([5, 2], generator: &generator)
        )
    }

    /// The fused map equals its composition from products, and its gradients (for every input,
    /// with and without a bias) pass the finite-difference check.
    @Test func matchesTheComposedMapAndItsGradients() {
        let (x, w, b, a, up) = Self.inputs(seed: 6)
        let composed =
            (x.matmul(w, transposeOther: true) + b + x.matmul(a, transposeOther: true).matmul(up, transposeOther: true)
            * 0.75).values
        let fused = Tensor.lowRankAffine(x, weight: w, bias: b, down: a, up: up, scale: 0.75)
        #expect(fused.shape == [2, 3, 5])
        #expect(TestSupport.closeness(fused.values, composed, rtol: 1e-5, atol: 1e-5) == nil)
        let withBias = TestSupport.gradientCheck([x, w, b, a, up]) {
            Tensor.lowRankAffine($0[0], weight: $0[1], bias: $0[2], down: $0[3], up: $0[4], scale: 0.75)
        }
        #expect(withBias == nil, "\(withBias ?? "")")
        let withoutBias = TestSupport.gradientCheck([x, w, a, up]) {
            Tensor.lowRankAffine($0[0], weight: $0[1], bias: nil, down: $0[2], up: $0[3], scale: -1.5)
        }
        #expect(withoutBias == nil, "\(withoutBias ?? "")")
    }

    /// Inputs that need no gradient get none, and the others still get theirs (a frozen base and
    /// input, as in a LoRA layer on the embeddings).
    @Test func frozenInputsGetNoGradient() throws {
        let (x, w, _, a, up) = Self.inputs(seed: 7)
        let down = a.requiringGrad()
        let upTrained = up.requiringGrad()
        let gradients = try Tensor.lowRankAffine(x, weight: w, bias: nil, down: down, up: upTrained, scale: 2).sum()
            .backward()
        #expect(gradients.count == 2)
        let expectedUp = Tensor.withNoGrad {
            Tensor.ones([6, 5]).matmul(x.reshaped([6, 6]).matmul(a, transposeOther: true) * 2, transposeSelf: true)
        }
        #expect(
            TestSupport.closeness(try #require(gradients[upTrained]).values, expectedUp.values, rtol: 1e-5, atol: 1e-5)
                == nil)
    }
}

@Suite struct GradientAccumulationTests {
    /// A tensor used by three operations gets the sum of their gradients (two summations, the
    /// second into the first's buffer), and the caller's seed is not written to.
    @Test func threeUsesSumTheirGradients() throws {
        let x = Tensor([0.5, -1, 2], shape: [3]).requiringGrad()
        let seed = Tensor.ones([3])
        let gradients = (x * 2 + x.exp() + x * x).backward(seed: seed)
        let expected = x.values.map { 2 + Foundation.exp($0) + 2 * $0 }
        #expect(TestSupport.closeness(try #require(gradients[x]).values, expected, rtol: 1e-6, atol: 1e-6) == nil)
        #expect(seed.values == [1, 1, 1])
    }
}

@Suite struct InPlaceReluTests {
    /// ReLU overwrites an input nothing else holds, and leaves one that is still held alone.
    @Test func overwritesOnlyAnUnsharedInput() {
        let fresh = Tensor([-1, 0.5, -0, 2], shape: [4])
        let buffer = fresh.storage.pointer
        let y = (consume fresh).relu()
        #expect(y.values == [0, 0.5, 0, 2])
        #expect(y.storage.pointer == buffer)

        let kept = Tensor([-1, 0.5, -0, 2], shape: [4])
        let z = kept.relu()
        #expect(z.values == [0, 0.5, 0, 2])
        #expect(kept.values == [-1, 0.5, -0, 2])
        #expect(z.storage.pointer != kept.storage.pointer)
    }
}

@Suite struct InPlaceAddTests {
    /// A sum goes into an operand's buffer only when nothing else holds it, never into a buffer
    /// that is both operands, and gradients still reach both sides.
    @Test func writesOnlyIntoAnUnsharedOperand() throws {
        let kept = Tensor([1, 2, 3], shape: [3])
        let fresh = Tensor([0.5, 0.5, 0.5], shape: [3])
        let buffer = fresh.storage.pointer
        let sum = kept + (consume fresh)
        #expect(sum.values == [1.5, 2.5, 3.5])
        #expect(sum.storage.pointer == buffer)
        #expect(kept.values == [1, 2, 3])

        let doubled = kept + kept
        #expect(doubled.values == [2, 4, 6])
        #expect(kept.values == [1, 2, 3])

        let x = Tensor([0.5, -1, 2], shape: [3]).requiringGrad()
        let gradients = try ((x * 3) + (x * x)).sum().backward()
        #expect(try #require(gradients[x]).values == x.values.map { 3 + 2 * $0 })
    }
}
