import DetoxModels
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// The logits processors on hand-made rows, with transformers' results worked out by hand
/// (logits_process.py v4.46.3). Exact comparisons: the operations only copy values or write -inf.
@Suite struct GenerationProcessingTests {
    static func ln(_ x: Double) -> Double { Foundation.log(x) }
    static func e(_ x: Double) -> Double { Foundation.exp(x) }

    func apply(_ values: [Float], _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        var row = values
        row.withUnsafeMutableBufferPointer { body($0) }
        return row
    }

    @Test func topKKeepsTiesWithTheKthValue() {
        let row: [Float] = [1, 5, 3, 5, 2, 3]
        let out = apply(row) { LogitsProcessing.applyTopK($0, k: 3) }
        // The 3rd largest is 3; both 3s stay (transformers removes only scores < the k-th).
        let expected: [Float] = [-.infinity, 5, 3, 5, -.infinity, 3]
        #expect(out == expected)
        #expect(apply(row) { LogitsProcessing.applyTopK($0, k: 6) } == row)
        #expect(apply(row) { LogitsProcessing.applyTopK($0, k: 0) } == row)
        let inf = -Float.infinity
        let onlyMaxima: [Float] = [inf, 5, inf, 5, inf, inf]
        #expect(apply(row) { LogitsProcessing.applyTopK($0, k: 1) } == onlyMaxima)
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // Probabilities (softmax of log p): 0.5, 0.25, 0.15, 0.1.
        let row: [Float] = [0.5, 0.25, 0.15, 0.1].map { Float(Self.ln($0)) }
        // top_p 0.7: ascending cumulative 0.1, 0.25, 0.5, 1.0; removed where ≤ 0.3 → the 0.1 and 0.15 tokens.
        let out = apply(row) { LogitsProcessing.applyTopP($0, topP: 0.7) }
        #expect(out[0] == row[0] && out[1] == row[1])
        #expect(out[2] == -.infinity && out[3] == -.infinity)
        // top_p tiny: only the most likely token survives (at least one is kept).
        let one = apply(row) { LogitsProcessing.applyTopP($0, topP: 0.01) }
        #expect(one[0] == row[0] && one[1...].allSatisfy { $0 == -.infinity })
        #expect(apply(row) { LogitsProcessing.applyTopP($0, topP: 1) } == row)
    }

    @Test func suppressionTemperatureArgmaxAndSampling() {
        var row: [Float] = [0.1, 3, 2, 3]
        row = apply(row) { LogitsProcessing.suppress($0, ids: [1, 7, -1]) }
        let suppressed: [Float] = [0.1, -.infinity, 2, 3]
        #expect(row == suppressed)
        #expect(row.withUnsafeBufferPointer { LogitsProcessing.argmax($0) } == 3)
        #expect(
            [Float](arrayLiteral: 1, 4, 4).withUnsafeBufferPointer { LogitsProcessing.argmax($0) } == 1,
            "ties go to the first index")
        let scaled: [Float] = [4, -8]
        #expect(apply([2, -4]) { LogitsProcessing.applyTemperature($0, temperature: 0.5) } == scaled)
        // Sampling never draws a suppressed token, and follows the probabilities.
        var generator = SeededGenerator(seed: 42)
        var counts = [0, 0, 0, 0]
        let scores: [Float] = [0, -.infinity, Float(Self.ln(3)), -.infinity]
        for _ in 0..<4000 {
            counts[
                scores.withUnsafeBufferPointer { LogitsProcessing.sample($0, generator: &generator) }] += 1
        }
        #expect(counts[1] == 0 && counts[3] == 0)
        // Expected 1000 / 3000; 6 standard deviations (~27) is 160.
        let deviation = Swift.abs(counts[0] - 1000)
        #expect(deviation < 160, "\(counts)")
    }

    @Test func gatheredLogProbabilitiesAndTheirGradient() throws {
        let logits = Tensor([1, 2, 3, 0, 0, 0], shape: [2, 3]).requiringGrad()
        let picked = try TokenLogProbabilities.gather(logits, targets: [2, -100])
        let lse: Double = Self.ln(Self.e(1) + Self.e(2) + Self.e(3))
        let first: Float = picked.values[0]
        #expect(Swift.abs(first - Float(3 - lse)) < 1e-6)
        #expect(picked.values[1] == 0)
        let gradient = try #require(try picked.sum().backward()[logits])
        let softmax: [Double] = [1.0, 2.0, 3.0].map { Self.e($0 - lse) }
        let expected: [Float] = [Float(-softmax[0]), Float(-softmax[1]), Float(1 - softmax[2]), 0, 0, 0]
        let difference = try TestSupport.maxAbsDifference(gradient.values, expected)
        #expect(difference < 1e-6)
        #expect(throws: ModelError.self) { try TokenLogProbabilities.gather(logits, targets: [3, 0]) }
        #expect(throws: ModelError.self) { try TokenLogProbabilities.gather(logits, targets: [0]) }
    }
}
