import DetoxTensor

/// The real tokens of a left-padded batch, so that a generation's prefill computes its per-token
/// layers (embeddings, projections, norms, MLPs: everything but the attention) for them alone.
///
/// Such layers see one token at a time, so their output at a real token does not depend on the
/// padding beside it. A prefill runs them on the `N` real tokens packed as `[N, width]` (in the
/// batch's row-major order) and lays queries, keys and values back out as `[B, L, width]`, zeros
/// at padding, for the attention and the cache, whose masks never let a real token read a padding
/// position. TRL's prompts of 10–40 tokens padded to the longest are a third padding, which
/// PyTorch computes in full.
///
/// ``all(_:)`` packs nothing (every method returns its argument): the training and scoring
/// forward passes, whose logits at padding positions are part of their output, use it.
public struct RealTokens: Sendable {
    /// The flat index `b·L + j` of each real token, or `nil` when nothing is packed.
    private let indices: [Int]?
    /// For each of the `B·L` positions, its row in the packed tensor, or `N` (a zero row) for
    /// padding.
    private let rows: [Int]
    private let batch: Int
    private let length: Int

    /// The real tokens of `inputs`. Only a left-padded batch is packed: when a row's last position
    /// is padding (right padding, or a row of padding alone), `generate` continues from that
    /// position, whose attention may read padding keys, so nothing is left out.
    init(_ inputs: CausalInputs) {
        batch = inputs.batch
        length = inputs.length
        let flags = inputs.mask.flatMap { $0 }
        let real = flags.indices.filter { flags[$0] == 1 }
        guard real.count < flags.count, inputs.mask.allSatisfy({ $0.last == 1 }) else {
            (indices, rows) = (nil, [])
            return
        }
        var rows = [Int](repeating: real.count, count: flags.count)
        for (row, index) in real.enumerated() { rows[index] = row }
        (indices, self.rows) = (real, rows)
    }

    private init(batch: Int, length: Int) {
        (indices, rows, self.batch, self.length) = (nil, [], batch, length)
    }

    /// Every position of a `[batch, length]` batch, packing nothing.
    static func all(batch: Int, length: Int) -> RealTokens { RealTokens(batch: batch, length: length) }

    /// Every position of `inputs`, packing nothing.
    static func all(_ inputs: CausalInputs) -> RealTokens { all(batch: inputs.batch, length: inputs.length) }

    /// Whether anything is left out (the per-token layers see `[N, …]`).
    var isPacked: Bool { indices != nil }

    /// The shape of packed per-token values: `[N]`, or `[B, L]` when nothing is packed.
    var shape: [Int] { indices.map { [$0.count] } ?? [batch, length] }

    /// The real tokens' entries of `B·L` per-position values (ids, position ids).
    func pack<Element>(_ values: [Element]) -> [Element] {
        guard let indices else { return values }
        precondition(values.count == batch * length, "\(values.count) values for a [\(batch), \(length)] batch")
        return indices.map { values[$0] }
    }

    /// `[B, L, width]` → `[N, width]`.
    func pack(_ tensor: Tensor) -> Tensor {
        guard let indices else { return tensor }
        return tensor.reshaped([batch * length, -1]).indexSelect(indices)
    }

    /// `[N, width]` → `[B, L, width]`, zeros at padding.
    func unpack(_ tensor: Tensor) -> Tensor {
        guard indices != nil else { return tensor }
        let width = tensor.shape[1]
        return Tensor.concatenate([tensor, Tensor.zeros([1, width])], axis: 0).indexSelect(rows)
            .reshaped([batch, length, width])
    }
}
