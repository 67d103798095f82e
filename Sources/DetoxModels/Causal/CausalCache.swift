import DetoxNN
import DetoxTensor

/// The key/value cache of a decoder-only model's generation.
///
/// One ``KeyValueBuffer`` per layer, `[B, capacity, keyValueWidth]`, preallocated; the prefill
/// writes positions `0..<L` and each step one more. Beside the buffers: the additive mask of each
/// row over the cached positions (padding and positions a row did not write are masked), the
/// number of positions written, and each row's next position id.
public final class CausalCache {
    public let batch: Int
    public let capacity: Int
    public let keyValueWidth: Int
    /// Keys and values of each layer.
    public let layers: [KeyValueBuffer]
    /// `[B·capacity]`: 0 for a position a row attends to, ``CausalInputs/maskedScore`` otherwise.
    public private(set) var mask: [Float]
    /// Positions written so far (by every layer).
    public private(set) var length = 0
    /// The position id each row's next token gets.
    public private(set) var nextPositions: [Int]

    /// A cache for `inputs` (its mask and positions) with room for `capacity` positions in all.
    public init(inputs: CausalInputs, capacity: Int, layerCount: Int, keyValueWidth: Int) {
        precondition(capacity >= inputs.length, "cache capacity \(capacity) below the prompt's \(inputs.length)")
        batch = inputs.batch
        self.capacity = capacity
        self.keyValueWidth = keyValueWidth
        let (rows, width) = (inputs.batch, keyValueWidth)
        layers = (0..<layerCount).map { _ in KeyValueBuffer(batch: rows, capacity: capacity, width: width) }
        var mask = [Float](repeating: CausalInputs.maskedScore, count: inputs.batch * capacity)
        for b in 0..<inputs.batch {
            for j in 0..<inputs.length where inputs.mask[b][j] == 1 { mask[b * capacity + j] = 0 }
        }
        self.mask = mask
        nextPositions = inputs.realCounts
    }

    /// Writes a prefill's keys and values `[B, L, width]` of `layer` at positions `0..<L`.
    public func writePrefill(layer: Int, keys: Tensor, values: Tensor) {
        precondition(length == 0, "the prefill must come first")
        layers[layer].writePrefix(keys: keys, values: values)
    }

    /// Writes one step's keys and values `[A, width]` of `layer` at position ``length`` for the
    /// batch rows `rows`.
    public func write(layer: Int, rows: [Int], keys: Tensor, values: Tensor) {
        layers[layer].write(position: length, rows: rows, keys: keys, values: values)
    }

    /// The additive mask `[B, length + 1]` of a step's query at position ``length``: the cached
    /// mask, the new position itself open, and with a `window` every key more than `window − 1`
    /// positions back masked.
    public func stepMask(window: Int? = nil) -> [Float] {
        let keyLength = length + 1
        var result = [Float](repeating: CausalInputs.maskedScore, count: batch * keyLength)
        let first = window.map { Swift.max(0, keyLength - $0) } ?? 0
        for b in 0..<batch {
            for j in first..<length { result[b * keyLength + j] = mask[b * capacity + j] }
            result[b * keyLength + length] = 0
        }
        return result
    }

    /// Marks the prefill's `count` positions written.
    public func advance(by count: Int) {
        precondition(length + count <= capacity, "cache overflow")
        length += count
    }

    /// Marks this step's position written for `rows` (which attend to it from now on) and moves
    /// their position ids on; other rows keep it masked.
    public func advance(rows: [Int]) {
        precondition(length < capacity, "cache overflow")
        for b in rows {
            mask[b * capacity + length] = 0
            nextPositions[b] += 1
        }
        length += 1
    }
}
