import DetoxTensor

/// Keys and values of one attention layer for step-by-step decoding, `[B, capacity, width]` each,
/// written one position per step.
///
/// The buffer is preallocated for `capacity` positions, so nothing is concatenated or copied as a
/// sequence grows; ``StepAttention`` reads it in place. It is the only tensor-like memory written
/// after it is made, which is why it is its own type, owned by one decoding loop, rather than a
/// ``Tensor``. Positions are read only after they are written.
public final class KeyValueBuffer {
    /// Batch rows.
    public let batch: Int
    /// Positions each batch row can hold.
    public let capacity: Int
    /// Values per position (`heads · headDimension`).
    public let width: Int
    package let keys: TensorStorage
    package let values: TensorStorage

    public init(batch: Int, capacity: Int, width: Int) {
        precondition(batch >= 0 && capacity >= 0 && width >= 0, "negative key/value buffer size")
        self.batch = batch
        self.capacity = capacity
        self.width = width
        keys = TensorStorage(uninitializedCount: batch * capacity * width)
        values = TensorStorage(uninitializedCount: batch * capacity * width)
    }

    /// Writes the keys and values `[A, width]` of one step at `position`, row `a` of the tensors
    /// into batch row `rows[a]`.
    public func write(position: Int, rows: [Int], keys newKeys: Tensor, values newValues: Tensor) {
        precondition(position >= 0 && position < capacity, "position \(position) outside 0..<\(capacity)")
        precondition(
            newKeys.shape == [rows.count, width] && newValues.shape == [rows.count, width],
            "keys \(newKeys.shape) and values \(newValues.shape) must be [\(rows.count), \(width)]")
        let width = width
        for (a, b) in rows.enumerated() {
            precondition(b >= 0 && b < batch, "batch row \(b) outside 0..<\(batch)")
            let offset = (b * capacity + position) * width
            (keys.pointer + offset).update(from: newKeys.storage.pointer + a * width, count: width)
            (values.pointer + offset).update(from: newValues.storage.pointer + a * width, count: width)
        }
    }

    /// Writes the keys and values `[B, L, width]` of a whole prefix (a prompt's prefill) at
    /// positions `0..<L` of every batch row.
    public func writePrefix(keys newKeys: Tensor, values newValues: Tensor) {
        let length = newKeys.rank == 3 ? newKeys.shape[1] : -1
        precondition(
            newKeys.shape == [batch, length, width] && newValues.shape == newKeys.shape && length <= capacity,
            "keys \(newKeys.shape) and values \(newValues.shape) must be [\(batch), ≤ \(capacity), \(width)]")
        let span = length * width
        for b in 0..<batch {
            (keys.pointer + b * capacity * width).update(from: newKeys.storage.pointer + b * span, count: span)
            (values.pointer + b * capacity * width).update(from: newValues.storage.pointer + b * span, count: span)
        }
    }
}
