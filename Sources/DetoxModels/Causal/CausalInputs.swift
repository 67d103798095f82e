// Semantics of transformers src/transformers/generation/utils.py (v4.46.3): left padding, position
// ids from the attention mask (`prepare_inputs_for_generation`), and the causal mask of
// `_prepare_4d_causal_attention_mask_with_cache_position` (finfo(float32).min where masked).
import DetoxTensor

/// A left-padded batch for a decoder-only model: ids, the 0/1 mask of real tokens, and position ids
/// computed from the mask as `generate` does (`cumsum(mask) − 1`, and 1 where the mask is 0), so a
/// row's first real token is at position 0 whatever its padding.
public struct CausalInputs: Sendable, Equatable {
    /// `[B·L]` ids, row-major.
    public let ids: [Int]
    public let batch: Int
    public let length: Int
    /// `[B][L]` 0/1.
    public let mask: [[Int]]
    /// `[B·L]` position ids.
    public let positions: [Int]

    /// The most negative finite f32, transformers' value for a masked score (never `-inf`, so a row
    /// with every key masked gives a uniform softmax instead of NaN).
    public static let maskedScore = -Float.greatestFiniteMagnitude

    /// A batch from id rows `[B][L]` and an optional 0/1 mask (all ones when `nil`).
    ///
    /// - Throws: ``ModelError/invalidInput(_:)`` for ragged or empty rows, an id outside
    ///   `0..<vocabularySize`, or a mask of another shape or with values other than 0/1.
    public init(ids rows: [[Int]], mask: [[Int]]? = nil, vocabularySize: Int) throws {
        guard let length = rows.first?.count, length > 0 else {
            throw ModelError.invalidInput("inputIDs must have at least one non-empty row")
        }
        for (index, row) in rows.enumerated() {
            guard row.count == length else {
                throw ModelError.invalidInput("inputIDs row \(index) has \(row.count) ids, row 0 has \(length)")
            }
            if let bad = row.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw ModelError.invalidInput("inputIDs row \(index): id \(bad) is outside 0..<\(vocabularySize)")
            }
        }
        let mask = mask ?? rows.map { _ in [Int](repeating: 1, count: length) }
        guard mask.count == rows.count, mask.allSatisfy({ $0.count == length }) else {
            throw ModelError.invalidInput("attentionMask must be [\(rows.count)][\(length)] like inputIDs")
        }
        guard mask.allSatisfy({ $0.allSatisfy { $0 == 0 || $0 == 1 } }) else {
            throw ModelError.invalidInput("attentionMask holds values other than 0 and 1")
        }
        self.ids = rows.flatMap { $0 }
        batch = rows.count
        self.length = length
        self.mask = mask
        positions = mask.flatMap { row in
            var seen = 0
            return row.map { bit in
                seen += bit
                return bit == 0 ? 1 : seen - 1
            }
        }
    }

    /// Unpadded rows left-padded with `pad` to the longest, with their mask.
    ///
    /// - Throws: as ``init(ids:mask:vocabularySize:)`` (an empty row list or an all-empty batch).
    public static func leftPadded(_ rows: [[Int]], pad: Int, vocabularySize: Int) throws -> CausalInputs {
        let length = rows.map(\.count).max() ?? 0
        let ids = rows.map { [Int](repeating: pad, count: length - $0.count) + $0 }
        let mask = rows.map { [Int](repeating: 0, count: length - $0.count) + [Int](repeating: 1, count: $0.count) }
        return try CausalInputs(ids: ids, mask: mask, vocabularySize: vocabularySize)
    }

    /// The position of each row's first real token (the length of its left padding), which
    /// dropout masks count positions from (``DetoxTensor/DropoutRows/withStarts(_:_:)``).
    public var starts: [Int] { mask.map { row in row.firstIndex(of: 1) ?? 0 } }

    /// The number of real tokens of each row (its next position id).
    public var realCounts: [Int] { mask.map { $0.reduce(0, +) } }

    /// What a query whose every allowed key is padding (a left-padding query) attends to. Such a
    /// query's output only ever feeds the prediction of its row's first real token, but a loss whose
    /// labels count that token sees it, so each family follows its transformers attention.
    public enum MaskedQueryRows: Sendable {
        /// Every key alike (the mask adds the same ``maskedScore`` to every masked score):
        /// `scaled_dot_product_attention` on CPU under transformers' 4-D mask (GPT-2).
        case allKeys
        /// Only the keys its causal (and window) mask allows: eager attention that first replaces
        /// disallowed scores with `finfo.min` and then adds the padding mask, so they reach `-inf`
        /// (GPT-Neo). The query's own key stays finite, so no row is all `-inf`.
        case causalKeys
    }

    /// The additive attention bias `[B, H, L, L]`: 0 where key `j ≤ i` is a real token (and, with a
    /// `window`, `i − j < window`), ``maskedScore`` elsewhere — or, with `maskedQueries`
    /// ``MaskedQueryRows/causalKeys``, `-inf` for keys after the query or outside its window. The
    /// same for every head.
    public func attentionBias(headCount: Int, window: Int? = nil, maskedQueries: MaskedQueryRows = .allKeys)
        -> Tensor
    {
        let square = length * length
        var values = [Float](repeating: Self.maskedScore, count: batch * headCount * square)
        for b in 0..<batch {
            let row = mask[b]
            for h in 0..<headCount {
                let base = (b * headCount + h) * square
                for i in 0..<length {
                    let first = window.map { Swift.max(0, i - $0 + 1) } ?? 0
                    for j in first...i where row[j] == 1 { values[base + i * length + j] = 0 }
                    if maskedQueries == .causalKeys {
                        for j in 0..<length where j < first || j > i { values[base + i * length + j] = -.infinity }
                    }
                }
            }
        }
        return Tensor(values, shape: [batch, headCount, length, length])
    }
}
