import DetoxNN
import DetoxQuantization
import DetoxTensor
import DetoxTestSupport
import Testing

// MARK: - Linear4Bit

@Suite("Linear4Bit")
struct Linear4BitTests {
    /// The fixture layer: weight [48, 128], bias [48], input [5, 128], output gradient [5, 48].
    struct Setup {
        let weight: Tensor
        let bias: Tensor
        let x: Tensor
        let gradOut: Tensor
        init() throws {
            let fixtures = try QuantizationFixtures.load()
            weight = try fixtures.tensor("linear48x128.input")
            bias = try fixtures.tensor("linear.bias")
            x = try fixtures.tensor("linear.x")
            gradOut = try fixtures.tensor("linear.grad_out")
        }
    }

    static let variants: [(type: FourBitType, double: Bool, key: String)] = [
        (.nf4, false, "linear.nf4.plain"), (.nf4, true, "linear.nf4.dq"),
        (.fp4, false, "linear.fp4.plain"), (.fp4, true, "linear.fp4.dq"),
    ]

    /// bitsandbytes' f32 CPU path is `dequantize_4bit` then `F.linear` (PyTorch's sgemm); ours is
    /// the same weight through OpenBLAS, so only the summation order differs: |y| ≲ 3 here and
    /// K = 128, hence atol 1e-5, rtol 1e-5.
    @Test("forward and input gradient match bitsandbytes' Linear4bit (f32 training path), atol 1e-5 rtol 1e-5")
    func matchesBitsandbytes() throws {
        let fixtures = try QuantizationFixtures.load()
        let setup = try Setup()
        for variant in Self.variants {
            let layer = try Linear4Bit(
                weight: setup.weight, bias: setup.bias, type: variant.type, doubleQuantization: variant.double)
            let x = setup.x.requiringGrad()
            let y = layer(x)
            let expectedY = try fixtures.floats("\(variant.key).y")
            #expect(
                TestSupport.closeness(y.values, expectedY, rtol: 1e-5, atol: 1e-5) == nil,
                "\(variant.key) y: \(TestSupport.closeness(y.values, expectedY, rtol: 1e-5, atol: 1e-5) ?? "")")
            let grads = y.backward(seed: setup.gradOut)
            let gradX = try #require(grads[x])
            let expectedGrad = try fixtures.floats("\(variant.key).grad_x")
            #expect(
                TestSupport.closeness(gradX.values, expectedGrad, rtol: 1e-5, atol: 1e-5) == nil,
                "\(variant.key) grad x: \(TestSupport.closeness(gradX.values, expectedGrad, rtol: 1e-5, atol: 1e-5) ?? "")"
            )
            // Only x receives a gradient: the weight is not a leaf and the bias is frozen.
            #expect(grads.count == 1)
        }
    }

    /// One slice is the very same `sgemm` as the dense formula (≤ 1e-6, in practice equal). Several
    /// slices are several smaller `sgemm` calls, which OpenBLAS may sum in another order; they are
    /// held to the rounding bound of a dot product, |Δ| ≤ 2·K·2⁻²⁴·(Σₖ|xₖ||wₖ| + |b|) per element
    /// (a misplaced column would be off by O(1)).
    @Test(
        "forward equals x·dequant(W)ᵀ + b: within 1e-6 in one slice, within the f32 dot-product bound in many",
        arguments: [1 << 18, 5 * 128, 128])
    func matchesDenseFormula(chunkElements: Int) throws {
        let setup = try Setup()
        let layer = try Linear4Bit(weight: setup.weight, bias: setup.bias, type: .nf4)
        layer.dequantizationChunkElements = chunkElements
        let w = layer.weight.dequantize()
        let dense = Tensor.affine(setup.x, weight: w, bias: setup.bias).values
        let y = layer(setup.x)
        #expect(y.shape == [5, 48])
        let actual = y.values
        if chunkElements >= 48 * 128 {
            #expect(try TestSupport.maxAbsDifference(actual, dense) <= 1e-6)
        } else {
            let x = setup.x.values
            let weight = w.values
            let bias = setup.bias.values
            for r in 0..<5 {
                for o in 0..<48 {
                    var magnitude = abs(bias[o])
                    for k in 0..<128 { magnitude += abs(x[r * 128 + k] * weight[o * 128 + k]) }
                    let bound = 2 * 128 * 0x1p-24 * magnitude
                    #expect(abs(actual[r * 48 + o] - dense[r * 48 + o]) <= bound, "row \(r) output \(o)")
                }
            }
        }
        // Leading dimensions are kept: [1, 5, 128] -> [1, 5, 48].
        #expect(layer(setup.x.reshaped([1, 5, 128])).shape == [1, 5, 48])
    }

    @Test(
        "input gradient equals g·dequant(W) within 1e-6 and central finite differences", arguments: [1 << 18, 7 * 128])
    func inputGradient(chunkElements: Int) throws {
        let setup = try Setup()
        let layer = try Linear4Bit(weight: setup.weight, bias: nil, type: .fp4, doubleQuantization: true)
        layer.dequantizationChunkElements = chunkElements
        let x = setup.x.requiringGrad()
        let grads = layer(x).backward(seed: setup.gradOut)
        let gradX = try #require(grads[x])
        let dense = setup.gradOut.matmul(layer.weight.dequantize())
        #expect(try TestSupport.maxAbsDifference(gradX.values, dense.values) <= 1e-6)
        let small = Tensor(Array(setup.x.values.prefix(2 * 128)), shape: [2, 128])
        #expect(TestSupport.gradientCheck([small], epsilon: 1e-2, rtol: 1e-2, atol: 1e-3) { layer($0[0]) } == nil)
    }

    @Test("the 4-bit weight is never a parameter; the bias is frozen until unfrozen")
    func frozenWeight() throws {
        let setup = try Setup()
        let linear = Linear(weight: setup.weight, bias: setup.bias)
        let layer = try Linear4Bit(linear: linear, type: .nf4)
        #expect(layer.parameters().map(\.name) == ["bias"])
        #expect(layer.trainableParameters().isEmpty)
        let before = layer.weight
        layer.setTrainable(true)
        #expect(layer.trainableParameters().map(\.name) == ["bias"])
        #expect(layer.stateDict().keys.sorted() == ["bias"])
        #expect(layer.weight == before)
        // With the bias unfrozen it gets a gradient, the weight still does not exist as a leaf.
        let x = setup.x.requiringGrad()
        let grads = layer(x).backward(seed: setup.gradOut)
        #expect(grads.count == 2)
        let bias = try #require(layer.bias)
        let biasGrad = try #require(grads[bias.tensor])
        #expect(try TestSupport.maxAbsDifference(biasGrad.values, setup.gradOut.sum(axis: 0).values) <= 1e-6)
        // The Linear it came from is untouched.
        #expect(linear.weight.tensor.values == setup.weight.values)
    }

    @Test("bad shapes are typed errors")
    func shapeErrors() throws {
        let setup = try Setup()
        #expect(throws: QuantizationError.shapeMismatch(what: "Linear4Bit bias", expected: [48], actual: [47])) {
            try Linear4Bit(weight: setup.weight, bias: Tensor.zeros([47]), type: .nf4)
        }
        #expect(throws: QuantizationError.shapeMismatch(what: "Linear4Bit weight", expected: [-1, -1], actual: [6144]))
        {
            try Linear4Bit(weight: setup.weight.reshaped([6144]), type: .nf4)
        }
    }
}
