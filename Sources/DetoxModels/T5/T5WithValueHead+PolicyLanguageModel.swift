// Port of trl trl/trainer/ppo_trainer.py (v0.11.4), `batched_forward_pass`, for an encoder–decoder
// policy: queries as encoder inputs, responses as decoder inputs.
import DetoxNN
import DetoxTensor

extension T5WithValueHead: PolicyLanguageModel {
    /// The decoder start token and at least one generated token.
    public var minimumResponseLength: Int { 2 }

    /// Queries right-padded into encoder inputs, responses (`[decoder_start, t1, ..., EOS?]`)
    /// right-padded into decoder inputs; position `t` scores `response[t + 1]`, so `T` is the
    /// longest response less one and every generated token, EOS included, is in the mask.
    public func forward(queries: [[Int]], responses: [[Int]]) throws -> PolicyForwardPass {
        let x = T5PolicyInputs(queries: queries, responses: responses, padTokenID: model.configuration.padTokenID)
        let result = try logProbabilitiesAndValues(
            inputIDs: x.inputIDs, attentionMask: x.attentionMask, decoderTokens: x.decoderTokens,
            decoderAttentionMask: x.decoderMask)
        return PolicyForwardPass(
            logProbabilities: result.logProbabilities, values: result.values, logits: result.logits, mask: x.mask)
    }

    public func responseMask(queries: [[Int]], responses: [[Int]]) -> Tensor {
        T5PolicyInputs(queries: queries, responses: responses, padTokenID: model.configuration.padTokenID).mask
    }
}
