import DetoxNN
import DetoxTensor

/// Teacher-forced log-probabilities of given decoder tokens, with the hidden states a value head reads.
public struct T5TokenLogProbabilities: Sendable {
    /// `[B, T]`: `log p(decoderTokens[b][t+1] | source, decoderTokens[b][...t])`, differentiable.
    public let logProbabilities: Tensor
    /// `[B, T, vocab]` logits at positions `0..<T`.
    public let logits: Tensor
    /// `[B, T, d_model]` decoder last hidden state at positions `0..<T`.
    public let decoderHiddenState: Tensor
}

extension T5ForConditionalGeneration {
    /// Log-probabilities of each response token under the model, as PPO's forward pass computes
    /// them (TRL `logprobs_from_logits(logits[:, :-1], decoder_ids[:, 1:])`).
    ///
    /// - Parameters:
    ///   - inputIDs: `[B][S]` source ids; `attentionMask` `[B][S]`.
    ///   - decoderTokens: `[B][T + 1]` rows as generation returns them: the decoder start token, then
    ///     the response (padding after EOS allowed).
    ///   - decoderAttentionMask: `[B][T + 1]` 0/1 for the decoder tokens (all ones when `nil`); only
    ///     the first `T` columns matter, since position `T` is never an input.
    /// - Returns: log-probabilities `[B, T]` of `decoderTokens[:, 1...]`, and the logits and decoder
    ///   hidden states at positions `0..<T` (what a value head reads: TRL's `values[:, :-1]`).
    public func logProbabilities(
        inputIDs: [[Int]], attentionMask: [[Int]]? = nil, decoderTokens: [[Int]], decoderAttentionMask: [[Int]]? = nil
    ) throws -> T5TokenLogProbabilities {
        guard let width = decoderTokens.first?.count, width >= 2 else {
            throw ModelError.invalidInput("decoderTokens need the start token and at least one response token per row")
        }
        guard decoderTokens.allSatisfy({ $0.count == width }) else {
            throw ModelError.invalidInput("decoderTokens rows differ in length (pad rows to one length)")
        }
        if let decoderAttentionMask, decoderAttentionMask.contains(where: { $0.count != width }) {
            throw ModelError.invalidInput("decoderAttentionMask rows must have \(width) entries like decoderTokens")
        }
        let inputs = decoderTokens.map { Array($0.dropLast()) }
        let targets = decoderTokens.flatMap { $0.dropFirst() }
        let output = try self(
            inputIDs: inputIDs, attentionMask: attentionMask, decoderInputIDs: inputs,
            decoderAttentionMask: decoderAttentionMask?.map { Array($0.dropLast()) })
        let logProbabilities = try TokenLogProbabilities.gather(output.logits, targets: targets)
        return T5TokenLogProbabilities(
            logProbabilities: logProbabilities, logits: output.logits, decoderHiddenState: output.decoderHiddenState)
    }
}
