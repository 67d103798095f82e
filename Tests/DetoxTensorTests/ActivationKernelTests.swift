import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// The vectorized GELU kernels (`detox_gelu`, `detox_gelu_tanh` and their backwards) against the
/// scalar libm formulas they replaced and against double-precision values, forward and backward,
/// over −30…30 in steps of 1/2048 (enough elements to split across cores) and large magnitudes;
/// the sigmoid kernel against double-precision values.
@Suite struct ActivationKernelTests {
    // The formulas the engine evaluated per element before the C kernels, in f32 with libm.
    static func exact(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678118654752)) }
    static func exactSlope(_ x: Float) -> Float {
        let cdf = 0.5 * (1 + erff(x * 0.70710678118654752))
        let pdf = expf(-0.5 * x * x) * 0.3989422804014327
        return cdf + x * pdf
    }
    static func tanhForm(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    }
    static func tanhFormSlope(_ x: Float) -> Float {
        let k: Float = 0.7978845608028654
        let t = tanhf(k * (x + 0.044715 * x * x * x))
        let dInner = k * (1 + 3 * 0.044715 * x * x)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner
    }

    // The same functions in f64, for the accuracy bound.
    static func exact(_ x: Double) -> Double { 0.5 * x * erfc(-x / 2.0.squareRoot()) }
    static func exactSlope(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot()) + x * Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    }
    static func tanhForm(_ x: Double) -> Double {
        0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    static func tanhFormSlope(_ x: Double) -> Double {
        let k = (2 / Double.pi).squareRoot()
        let t = Foundation.tanh(k * (x + 0.044715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    }

    static let grid: [Float] = (-30 * 2048...30 * 2048).map { Float($0) / 2048 }
    static let large: [Float] = [1e3, -1e3, 1e6, -1e6, 1e13, -1e13, 1e20, -1e20, 3e38, -3e38, 1e-30, -1e-30]

    struct Activation: CustomTestStringConvertible, Sendable {
        let name: String
        let apply: @Sendable (Tensor) -> Tensor
        let scalar: @Sendable (Float) -> Float
        let scalarSlope: @Sendable (Float) -> Float
        let reference: @Sendable (Double) -> Double
        let referenceSlope: @Sendable (Double) -> Double
        var testDescription: String { name }
    }

    static let activations = [
        Activation(
            name: "gelu", apply: { $0.gelu() }, scalar: exact, scalarSlope: exactSlope, reference: exact,
            referenceSlope: exactSlope),
        Activation(
            name: "gelu_new", apply: { $0.geluNew() }, scalar: tanhForm, scalarSlope: tanhFormSlope,
            reference: tanhForm, referenceSlope: tanhFormSlope),
    ]

    /// Values and gradients within 1e-6 + 1e-6·|old| of the old scalar formula (whose own error
    /// reaches 5e-7), and within 6e-7 + 2e-6·|exact| of the f64 values on the grid.
    @Test(arguments: activations) func matchesScalarFormula(_ activation: Activation) throws {
        let inputs = Self.grid + Self.large
        try #require(inputs.count > 1 << 16)
        let x = Tensor(inputs).requiringGrad()
        let y = activation.apply(x)
        let grads = try y.sum().backward()
        let gradient = try #require(grads[x])
        let expected = inputs.map(activation.scalar)
        let expectedSlope = inputs.map(activation.scalarSlope)
        #expect(TestSupport.closeness(y.values, expected, rtol: 1e-6, atol: 1e-6) == nil)
        #expect(TestSupport.closeness(gradient.values, expectedSlope, rtol: 1e-6, atol: 1e-6) == nil)

        let count = Self.grid.count
        let exactValues = Self.grid.map { Float(activation.reference(Double($0))) }
        let exactSlopes = Self.grid.map { Float(activation.referenceSlope(Double($0))) }
        #expect(TestSupport.closeness(Array(y.values.prefix(count)), exactValues, rtol: 2e-6, atol: 6e-7) == nil)
        #expect(
            TestSupport.closeness(Array(gradient.values.prefix(count)), exactSlopes, rtol: 2e-6, atol: 6e-7) == nil)
    }

    /// ±∞, NaN and overflowing magnitudes give what the scalar formulas give (NaN where they do).
    @Test(arguments: activations) func nonFiniteInputsAsScalarFormula(_ activation: Activation) throws {
        let inputs: [Float] = [.infinity, -.infinity, .nan, 1e20, -1e20, 3e38, -3e38, -14, 14]
        let x = Tensor(inputs).requiringGrad()
        let y = activation.apply(x)
        let gradient = try #require(try y.sum().backward()[x])
        for (index, value) in inputs.enumerated() {
            let old = activation.scalar(value)
            let oldSlope = activation.scalarSlope(value)
            let new = y.values[index]
            let newSlope = gradient.values[index]
            #expect(old.isNaN ? new.isNaN : new == old, "\(activation.name)(\(value)) = \(new), formula \(old)")
            #expect(
                oldSlope.isNaN ? newSlope.isNaN : Swift.abs(newSlope - oldSlope) <= 1e-6,
                "\(activation.name)'(\(value)) = \(newSlope), formula \(oldSlope)")
        }
    }

    /// The vectorized sigmoid (`detox_sigmoid`) and its gradient `y·(1 − y)` within 2e-7 + 1e-6·|exact|
    /// of the f64 values on the grid; exactly 0, ½ and 1 where the function is, NaN for NaN.
    @Test func sigmoidMatchesDoublePrecision() throws {
        let inputs = Self.grid
        try #require(inputs.count > 1 << 16)
        let x = Tensor(inputs).requiringGrad()
        let y = x.sigmoid()
        let gradient = try #require(try y.sum().backward()[x])
        let exact = inputs.map { 1 / (1 + Foundation.exp(-Double($0))) }
        #expect(TestSupport.closeness(y.values, exact.map { Float($0) }, rtol: 1e-6, atol: 2e-7) == nil)
        let slopes = exact.map { Float($0 * (1 - $0)) }
        #expect(TestSupport.closeness(gradient.values, slopes, rtol: 1e-6, atol: 2e-7) == nil)
        let special = Tensor([-Float.infinity, -1e20, 0, 1e20, .infinity, .nan]).sigmoid().values
        #expect(Array(special.prefix(5)) == [0, 0, 0.5, 1, 1])
        #expect(special.last?.isNaN == true)
    }

    /// Without a gradient to record, an unshared input is overwritten in place, with the values
    /// computed into a new buffer; a shared input is left as it was.
    @Test func inPlaceMatchesNewBuffer() {
        let inputs = Self.grid
        let kept = Tensor(inputs)
        let (gelu, geluNew) = Tensor.withNoGrad { (kept.gelu(), kept.geluNew()) }
        #expect(kept.values == inputs)
        let fresh = Tensor(inputs) * 1
        let address = fresh.withUnsafeBufferPointer { $0.baseAddress }
        let inPlace = (consume fresh).gelu()
        #expect(inPlace.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(inPlace.values == gelu.values)
        let inPlaceNew = Tensor.withNoGrad { (Tensor(inputs) * 1).geluNew() }
        #expect(inPlaceNew.values == geluNew.values)
    }
}
