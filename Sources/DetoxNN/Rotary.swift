// Port of transformers src/transformers/modeling_rope_utils.py (v4.46.3): the default, `linear` and
// `llama3` inverse frequencies, and `rotate_half` / `apply_rotary_pos_emb` of models/llama/modeling_llama.py.
import DetoxTensor
import Foundation

/// Rotary position embedding (RoPE) as Llama applies it: each head's vector of `D` values is split
/// into halves `x₁ = x[..<D/2]`, `x₂ = x[D/2...]`, and position `p` turns it into
/// `(x₁·cos − x₂·sin, x₂·cos + x₁·sin)` with angles `p · inverseFrequencies[i]` (transformers'
/// `q * cos + rotate_half(q) * sin`).
///
/// The angles are computed in f32 as transformers does (`inv_freq` in f32, `position · inv_freq`
/// rounded to f32, then `cos`/`sin`), row by row from the position ids, so any position (left
/// padding, a decoding step) costs the same. The rotation is one differentiable operation whose
/// backward pass is the inverse rotation.
public struct Rotary: Sendable, Equatable {
    /// `[D/2]` angular frequency of each pair of values, in f32.
    public let inverseFrequencies: [Float]

    /// A rotary embedding with given inverse frequencies `[D/2]`.
    public init(inverseFrequencies: [Float]) {
        self.inverseFrequencies = inverseFrequencies
    }

    /// How `rope_scaling` changes the default frequencies.
    public enum Scaling: Sendable, Equatable {
        /// `linear`: every frequency divided by `factor` (positions interpolated).
        case linear(factor: Float)
        /// `llama3`: low frequencies divided by `factor`, high ones kept, the band between
        /// interpolated smoothly, as Llama 3.1 does.
        case llama3(
            factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalMaxPositions: Int)
    }

    /// transformers' inverse frequencies for heads of `dimension` values:
    /// `1 / base^(2i / dimension)` in f32, then `scaling`.
    ///
    /// - Precondition: `dimension` is even and positive.
    public init(dimension: Int, base: Double, scaling: Scaling? = nil) {
        precondition(dimension > 0 && dimension % 2 == 0, "rotary dimension \(dimension) must be even and positive")
        let root = Float(base)
        let defaults = stride(from: 0, to: dimension, by: 2).map { i -> Float in
            1 / powf(root, Float(i) / Float(dimension))
        }
        switch scaling {
        case nil:
            inverseFrequencies = defaults
        case .linear(let factor):
            inverseFrequencies = defaults.map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            let context = Float(original)
            let lowWavelength = Float(Double(original) / Double(low))
            let highWavelength = Float(Double(original) / Double(high))
            inverseFrequencies = defaults.map { frequency in
                let wavelength = Float(2 * Double.pi) / frequency
                let scaled = wavelength > lowWavelength ? frequency / factor : frequency
                guard !(wavelength < highWavelength) && !(wavelength > lowWavelength) else { return scaled }
                let smooth = (context / wavelength - low) / (high - low)
                return (1 - smooth) * scaled / factor + smooth * scaled
            }
        }
    }

    /// `D`, the values per head this embedding rotates.
    public var headDimension: Int { inverseFrequencies.count * 2 }

    /// Rotates every head of every row of `x` by its row's position.
    ///
    /// - Parameters:
    ///   - x: `[..., H·D]`, rows in order (`[B, L, H·D]` for a sequence, `[A, H·D]` for a decoding
    ///     step's rows), each row's heads side by side as the projections produce them.
    ///   - positions: the position id of each row (`x.count / (H·D)` of them).
    ///   - headCount: `H`.
    /// - Returns: the rotated tensor, shaped as `x`.
    public func callAsFunction(_ x: Tensor, positions: [Int], headCount: Int) -> Tensor {
        let width = x.shape.last ?? 0
        precondition(
            width == headCount * headDimension,
            "rotary: rows of \(width) values are not \(headCount) heads of \(headDimension)")
        precondition(positions.count * width == x.count, "rotary: \(positions.count) positions for \(x.shape)")
        let output = Tensor.build(shape: x.shape) { out, _ in
            rotate(x.storage.pointer, into: out, positions: positions, headCount: headCount, inverse: false)
        }
        return Tensor.record(output, inputs: [x]) { g in
            [
                Tensor.build(shape: g.shape) { out, _ in
                    rotate(g.storage.pointer, into: out, positions: positions, headCount: headCount, inverse: true)
                }
            ]
        }
    }

    /// The rotation (or its inverse, the transpose) of `positions.count` rows of `H·D` values.
    private func rotate(
        _ source: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, positions: [Int], headCount: Int,
        inverse: Bool
    ) {
        let half = inverseFrequencies.count
        let width = headCount * 2 * half
        let input = UncheckedSendable(source)
        let output = UncheckedSendable(out)
        Parallel.forChunks(positions.count, minimum: positions.count * width >= 1 << 16 ? 2 : positions.count + 1) {
            start, end in
            var cosines = [Float](repeating: 0, count: half)
            var sines = [Float](repeating: 0, count: half)
            for row in start..<end {
                let position = Float(positions[row])
                for i in 0..<half {
                    let angle = inverseFrequencies[i] * position
                    cosines[i] = cos(angle)
                    sines[i] = sin(angle)
                }
                for h in 0..<headCount {
                    let x = input.value + row * width + h * 2 * half
                    let y = output.value + row * width + h * 2 * half
                    for i in 0..<half {
                        let first = x[i]
                        let second = x[i + half]
                        if inverse {
                            y[i] = first * cosines[i] + second * sines[i]
                            y[i + half] = second * cosines[i] + -first * sines[i]
                        } else {
                            // `q * cos + rotate_half(q) * sin`, each product rounded before the sum.
                            y[i] = first * cosines[i] + -second * sines[i]
                            y[i + half] = second * cosines[i] + first * sines[i]
                        }
                    }
                }
            }
        }
    }
}
