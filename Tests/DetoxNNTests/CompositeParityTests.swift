// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// Forward values and gradients of a small composite network against PyTorch
/// (`Scripts/fixtures/make_nn_fixtures.py`, torch 2.13.0+cpu).
/// Tolerance: 1e-5 relative, with 1e-6 absolute for values near zero.
@Suite struct CompositeParityTests {
    struct Fixture: Decodable {
        struct Shapes: Decodable {
            let x: [Int]
            let weight: [Int]
        }
        struct RMS: Decodable {
            let x: [Float]
            let weight: [Float]
            let output: [Float]
            let grad_x: [Float]
        }
        let shapes: Shapes
        let targets: [Int]
        let x, weight, bias, norm_weight, norm_bias: [Float]
        let hidden, activated, normalized, probabilities: [Float]
        let loss: Float
        let grad_x, grad_weight, grad_bias, grad_norm_weight, grad_norm_bias: [Float]
        let rms: RMS
    }

    static func load() throws -> Fixture {
        let url = try #require(
            Bundle.module.url(forResource: "composite", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    static let rtol: Float = 1e-5
    static let atol: Float = 1e-6

    func expectClose(_ actual: Tensor?, _ expected: [Float], _ what: String) {
        guard let actual else {
            Issue.record("\(what): missing")
            return
        }
        let problem = TestSupport.closeness(actual.values, expected, rtol: Self.rtol, atol: Self.atol)
        #expect(problem == nil, "\(what): \(problem ?? "")")
    }

    @Test func forwardAndGradientsMatchPyTorch() throws {
        let f = try Self.load()
        let x = Tensor(f.x, shape: f.shapes.x).requiringGrad()
        let linear = Linear(weight: Tensor(f.weight, shape: f.shapes.weight), bias: Tensor(f.bias))
        let norm = LayerNorm(dimension: f.shapes.weight[0])
        try norm.load(["weight": Tensor(f.norm_weight), "bias": Tensor(f.norm_bias)])

        let hidden = linear(x)
        let activated = hidden.gelu()
        let normalized = norm(activated)
        let probabilities = (normalized * 3).softmax()
        let loss = try Losses.crossEntropy((probabilities * 4).reshaped([-1, f.shapes.weight[0]]), targets: f.targets)

        expectClose(hidden, f.hidden, "linear")
        expectClose(activated, f.activated, "gelu")
        expectClose(normalized, f.normalized, "layernorm")
        expectClose(probabilities, f.probabilities, "softmax")
        expectClose(loss, [f.loss], "loss")

        let grads = try loss.backward()
        expectClose(grads[x], f.grad_x, "grad x")
        expectClose(grads[linear.weight.tensor], f.grad_weight, "grad weight")
        expectClose(grads[linear.bias!.tensor], f.grad_bias, "grad bias")
        expectClose(grads[norm.weight.tensor], f.grad_norm_weight, "grad layernorm weight")
        expectClose(grads[norm.bias.tensor], f.grad_norm_bias, "grad layernorm bias")
    }

    @Test func rmsNormAndGeluNewMatchPyTorch() throws {
        let f = try Self.load().rms
        let x = Tensor(f.x, shape: [4, 6]).requiringGrad()
        let norm = RMSNorm(dimension: 6)
        try norm.load(["weight": Tensor(f.weight)])
        let y = norm(x).geluNew()
        expectClose(y, f.output, "rmsnorm → gelu_new")
        expectClose(try y.sum().backward()[x], f.grad_x, "grad x")
    }
}
