import DetoxTensor

/// Shared helpers for the test targets.
public enum TestSupport {
    /// Largest `|a − b| − (atol + rtol·|b|)` over the elements; ≤ 0 means every element is close.
    /// Returns a message naming the first offending index, or `nil` when all are close.
    public static func closeness(
        _ actual: [Float], _ expected: [Float], rtol: Float, atol: Float
    ) -> String? {
        guard actual.count == expected.count else {
            return CountMismatch(actual: actual.count, expected: expected.count).description
        }
        for i in 0..<actual.count {
            let a = actual[i]
            let e = expected[i]
            if a.isNaN && e.isNaN { continue }
            if a == e { continue }
            if !(Swift.abs(a - e) <= atol + rtol * Swift.abs(e)) {
                return "element \(i): \(a) vs expected \(e) (|diff| \(Swift.abs(a - e)), rtol \(rtol), atol \(atol))"
            }
        }
        return nil
    }

    /// Largest absolute difference between `actual` and `expected`; throws ``CountMismatch`` when
    /// their lengths differ, since a difference over the common prefix would hide a missing tail.
    public static func maxAbsDifference(_ actual: [Float], _ expected: [Float]) throws(CountMismatch) -> Float {
        guard actual.count == expected.count else {
            throw CountMismatch(actual: actual.count, expected: expected.count)
        }
        return zip(actual, expected).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
    }

    /// Compares the analytic gradients of `f` at `inputs` with central finite differences.
    ///
    /// `f` maps the inputs to a tensor; the checked scalar is `Σ f(inputs) · w` with fixed random
    /// weights `w`, so every output element contributes. Differences are taken in f32 with step
    /// `epsilon` and the sums accumulated in f64. Returns the first failure, or `nil`.
    public static func gradientCheck(
        _ inputs: [Tensor], epsilon: Float = 1e-2, rtol: Float = 1e-2, atol: Float = 1e-3,
        _ f: ([Tensor]) -> Tensor
    ) -> String? {
        var generator = SeededGenerator(seed: 1234)
        let leaves = inputs.map { $0.requiringGrad() }
        let output = f(leaves)
        let weights = Tensor.randomNormal(output.shape, generator: &generator)
        let loss = (output * weights).sum()
        guard let grads = try? loss.backward() else { return "backward failed" }

        func objective(_ values: [Tensor]) -> Double {
            Tensor.withNoGrad {
                let y = f(values)
                var total: Double = 0
                for (a, b) in zip(y.values, weights.values) { total += Double(a) * Double(b) }
                return total
            }
        }

        for (index, input) in inputs.enumerated() {
            guard let analytic = grads[leaves[index]] else { return "no gradient for input \(index)" }
            guard analytic.shape == input.shape else {
                return "gradient of input \(index) has shape \(analytic.shape), expected \(input.shape)"
            }
            var base = input.values
            var numeric = [Float](repeating: 0, count: base.count)
            for i in 0..<base.count {
                let original = base[i]
                base[i] = original + epsilon
                var plus = inputs
                plus[index] = Tensor(base, shape: input.shape)
                let fPlus = objective(plus)
                base[i] = original - epsilon
                var minus = inputs
                minus[index] = Tensor(base, shape: input.shape)
                let fMinus = objective(minus)
                base[i] = original
                numeric[i] = Float((fPlus - fMinus) / Double(2 * epsilon))
            }
            if let problem = closeness(analytic.values, numeric, rtol: rtol, atol: atol) {
                return "input \(index): \(problem)"
            }
        }
        return nil
    }
}
