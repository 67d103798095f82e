import DetoxTensor
import Testing

/// The row kernels behind generation's token choice: the vector maximum and the multinomial draw's
/// search (`Tensor.firstCrossing`, whole blocks of 64 skipped by vector sums) against plain scans.
@Suite struct SamplingKernelTests {
    /// Weights in [0, 1) with every seventh 0, over a length that leaves a partial block.
    static func weights(count: Int, generator: inout SeededGenerator) -> [Float] {
        (0..<count).map { $0 % 7 == 3 ? 0 : Float(generator.nextDouble()) }
    }

    /// The first index whose running sum (serial, in double) passes `target`, or `nil`.
    static func serialCrossing(_ weights: [Float], target: Double) -> Int? {
        var running: Double = 0
        for (index, weight) in weights.enumerated() {
            running += Double(weight)
            if running > target { return index }
        }
        return nil
    }

    @Test func firstCrossingMatchesSerialScan() throws {
        var generator = SeededGenerator(seed: 7)
        let weights = Self.weights(count: 1000, generator: &generator)
        let total = weights.reduce(0.0) { $0 + Double($1) }
        let targets = (0..<500).map { _ in generator.nextDouble() * total } + [0, 0.999 * total]
        try #require(targets.count == 502)
        for target in targets {
            let found = weights.withUnsafeBufferPointer { row in
                row.baseAddress.flatMap { Tensor.firstCrossing($0, count: row.count, target: target) }
            }
            let expected = try #require(Self.serialCrossing(weights, target: target))
            #expect(found == expected, "target \(target)")
            #expect(weights[expected] > 0, "a token of weight 0 was drawn")
        }
        let beyond = weights.withUnsafeBufferPointer { row in
            row.baseAddress.flatMap { Tensor.firstCrossing($0, count: row.count, target: total + 1) }
        }
        #expect(beyond == nil)
    }

    @Test func maximumPassesOverNaN() {
        var generator = SeededGenerator(seed: 8)
        var row = Self.weights(count: 203, generator: &generator)
        row[150] = 2
        row[40] = .nan
        let found = row.withUnsafeBufferPointer { $0.baseAddress.map { Tensor.maximum($0, count: 203) } }
        #expect(found == 2)
        let empty: [Float] = [.nan, -.infinity]
        let none = empty.withUnsafeBufferPointer { $0.baseAddress.map { Tensor.maximum($0, count: 2) } }
        #expect(none == -.infinity)
    }
}
