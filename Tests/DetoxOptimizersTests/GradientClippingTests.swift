// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Testing

// MARK: - Clipping

/// `torch.nn.utils.clip_grad_norm_` cases: the returned total norm and the clipped gradients.
struct ClipFixture: Decodable {
    struct Case: Decodable {
        let max_norm: Double
        let grads: [String: [Double]]
        let norm: Double
        let clipped: [String: [Double]]
    }
    let names: [String]
    let shapes: [String: [Int]]
    let cases: [Case]
}

@Suite("Gradient clipping matches clip_grad_norm_")
struct GradientClippingTests {
    @Test("Norm and clipped gradients")
    func parity() throws {
        let fixture = try loadFixture(ClipFixture.self, "clip_grad_norm")
        try #require(!fixture.cases.isEmpty, "the fixture has no cases")
        for (index, c) in fixture.cases.enumerated() {
            let parameters = try fixture.names.map { name in
                Parameter(Tensor.zeros(try #require(fixture.shapes[name])))
            }
            var grads = GradStore()
            for (name, parameter) in zip(fixture.names, parameters) {
                grads.set(
                    try Tensor(shape: parameter.shape, values: floats(try #require(c.grads[name]))),
                    for: parameter.tensor)
            }
            let before = grads
            let norm = GradientClipping.clipGradientNorm(&grads, parameters: parameters, maxNorm: Float(c.max_norm))
            let expectedNorm = Float(c.norm)
            #expect(
                Swift.abs(norm - expectedNorm) <= Tolerance.absolute + Tolerance.relative * expectedNorm,
                "case \(index)")
            #expect(GradientClipping.totalNorm(before, parameters: parameters) == norm)
            for (name, parameter) in zip(fixture.names, parameters) {
                let actual = try #require(grads[parameter.tensor]).values
                let expected = floats(try #require(c.clipped[name]))
                let problem = Tolerance.mismatch(actual, expected)
                #expect(problem == nil, "case \(index) \(name): \(problem ?? "")")
                if expectedNorm < Float(c.max_norm) {
                    // Not clipped: the gradients are untouched.
                    let original = try #require(before[parameter.tensor]).values
                    #expect(bitwiseEqual(actual, original))
                }
            }
        }
    }

    @Test("Parameters without gradients and duplicates are ignored")
    func missingAndDuplicate() throws {
        let a = Parameter(Tensor([3, 4]))
        let b = Parameter(Tensor([1, 1]))
        var grads = GradStore()
        grads.set(Tensor([3, 4]), for: a.tensor)
        let norm = GradientClipping.clipGradientNorm(&grads, parameters: [a, a, b], maxNorm: 1)
        #expect(norm == 5)
        let clipped = try #require(grads[a.tensor]).values
        #expect(Swift.abs(clipped[0] - 0.6) < 1e-6 && Swift.abs(clipped[1] - 0.8) < 1e-6)
        #expect(grads[b.tensor] == nil)
        var empty = GradStore()
        #expect(GradientClipping.clipGradientNorm(&empty, parameters: [a], maxNorm: 1) == 0)
    }
}
