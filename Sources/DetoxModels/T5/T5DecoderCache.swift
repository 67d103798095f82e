import DetoxNN
import DetoxTensor

/// Key/value cache for step-by-step decoding.
///
/// Cross-attention keys and values are projected from the encoder output once per generation and
/// kept as `[B, S, H·D]`. Self-attention keys and values live in a ``KeyValueBuffer`` per layer,
/// preallocated for `capacity` positions and written one position per step; nothing is
/// concatenated or copied as the sequence grows.
final class T5DecoderCache {
    let batch: Int
    let capacity: Int
    let innerDimension: Int
    let sourceLength: Int
    /// Positions written so far.
    private(set) var length = 0

    /// Self-attention keys and values, `[B, capacity, H·D]` per decoder layer.
    let selfAttention: [KeyValueBuffer]
    /// `[B, S, H·D]` per decoder layer.
    let crossKeys: [Tensor]
    let crossValues: [Tensor]
    /// Additive encoder mask `[B, S]` (0 or `finfo.min`).
    let encoderMask: [Float]
    /// `bucket(−n)` of the decoder's causal relative buckets for distance `n` in `0..<capacity`.
    let causalBuckets: [Int]

    /// Projects the encoder output through every decoder layer's cross-attention `k` and `v`.
    /// Must run with gradient recording off.
    init(decoder: T5Stack, encoderHidden: Tensor, encoderMask: [Float], capacity: Int) {
        batch = encoderHidden.shape[0]
        sourceLength = encoderHidden.shape[1]
        self.capacity = capacity
        let attention = decoder.relativeAttention
        innerDimension = attention.headCount * attention.headDimension
        self.encoderMask = encoderMask
        var keys: [Tensor] = []
        var values: [Tensor] = []
        for block in decoder.blocks.modules {
            guard let cross = block.crossAttentionLayer?.encDecAttention else { continue }
            keys.append(cross.k(encoderHidden)) // [B, S, H·D]
            values.append(cross.v(encoderHidden))
        }
        crossKeys = keys
        crossValues = values
        let (rowCount, width) = (batch, innerDimension)
        selfAttention = decoder.blocks.modules.map { _ in
            KeyValueBuffer(batch: rowCount, capacity: capacity, width: width)
        }
        causalBuckets = (0..<Swift.max(capacity, 1)).map {
            T5RelativePosition.bucket(
                -$0, bidirectional: false, bucketCount: attention.bucketCount, maxDistance: attention.maxDistance)
        }
    }

    /// Writes this step's keys and values `[A, H·D]` of `layer` at position ``length`` for the
    /// batch rows `rows` (row `a` of the tensors belongs to batch row `rows[a]`).
    func write(layer: Int, rows: [Int], keys: Tensor, values: Tensor) {
        precondition(length < capacity, "decoder cache is full (\(capacity) positions)")
        selfAttention[layer].write(position: length, rows: rows, keys: keys, values: values)
    }

    /// Marks the position written by every layer this step as filled.
    func advance() { length += 1 }
}
