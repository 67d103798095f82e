import DetoxTensor

/// How a T5 policy packs unpadded queries and responses: queries right-padded into encoder inputs,
/// responses (`[decoder_start, t1, ..., EOS?]`) right-padded into decoder tokens, and the mask of the
/// log-probability positions that belong to each response.
struct T5PolicyInputs {
    var inputIDs: [[Int]]
    var attentionMask: [[Int]]
    var decoderTokens: [[Int]]
    var decoderMask: [[Int]]
    /// `[B, T]` 0/1, `T` the longest response less one: position `t` of a row covers
    /// `log p(response[t+1] | response[...t])`, for every token after the start token.
    var mask: Tensor

    init(queries: [[Int]], responses: [[Int]], padTokenID: Int) {
        let source = Self.rightPadded(queries, with: padTokenID)
        let target = Self.rightPadded(responses, with: padTokenID)
        let t = (responses.map(\.count).max() ?? 0) - 1
        var mask = [Float](repeating: 0, count: responses.count * Swift.max(t, 0))
        for (i, response) in responses.enumerated() where response.count >= 2 {
            for p in 0..<(response.count - 1) { mask[i * t + p] = 1 }
        }
        inputIDs = source.ids
        attentionMask = source.mask
        decoderTokens = target.ids
        decoderMask = target.mask
        self.mask = Tensor(mask, shape: [responses.count, t])
    }

    /// `rows` padded on the right with `pad` to the longest, and their 0/1 attention masks.
    static func rightPadded(_ rows: [[Int]], with pad: Int) -> (ids: [[Int]], mask: [[Int]]) {
        let width = rows.map(\.count).max() ?? 0
        return (
            rows.map { $0 + Array(repeating: pad, count: width - $0.count) },
            rows.map { Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: width - $0.count) }
        )
    }
}
