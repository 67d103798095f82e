// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5ForConditionalGeneration`
// as a policy's language model: encoder inputs right-padded, responses behind the decoder start token.
import DetoxNN
import DetoxTensor

extension T5ForConditionalGeneration: LanguageModel {
    public var padTokenID: Int { configuration.padTokenID }
    public var eosTokenID: Int { configuration.eosTokenID }

    /// `lm_head` (bitsandbytes' default skip list) and the feed-forward `wo` projections, which
    /// transformers keeps in full precision for T5 (`_keep_in_fp32_modules = ["wo"]`).
    public func keepsFullPrecision(linearAt path: String) -> Bool {
        path == "lm_head" || path.hasSuffix(".wo")
    }

    /// The configuration's `model_type` (`"t5"` when the file has none).
    public var modelType: String { configuration.modelType ?? "t5" }

    /// Queries right-padded into encoder inputs; each response is `[decoder_start, t1, ..., EOS?]`,
    /// the row transformers' `generate` returns cut after its EOS (or at `maxNewTokens`).
    public func generateResponses(
        queries: [[Int]], configuration settings: GenerationConfig, generator: inout SeededGenerator
    ) throws -> [[Int]] {
        let source = T5PolicyInputs.rightPadded(queries, with: configuration.padTokenID)
        let output = try generate(
            inputIDs: source.ids, attentionMask: source.mask, configuration: settings, generator: &generator)
        return zip(output.sequences, output.generatedCounts).map { Array($0.prefix($1 + 1)) }
    }

    /// The response without its decoder start token.
    public func generatedTokens(of response: [Int]) -> [Int] { Array(response.dropFirst()) }

    /// Prompts right-padded into encoder inputs, targets right-padded with `-100` into labels (the
    /// decoder inputs are the labels shifted right), as `Seq2SeqTrainer` feeds a summarization batch.
    public func supervisedLoss(prompts: [[Int]], targets: [[Int]]) throws -> Tensor {
        let source = T5PolicyInputs.rightPadded(prompts, with: configuration.padTokenID)
        let labels = T5PolicyInputs.rightPadded(targets, with: Losses.ignoreIndex).ids
        guard let loss = try self(inputIDs: source.ids, attentionMask: source.mask, labels: labels).loss else {
            throw ModelError.invalidInput("no loss for the supervised targets")
        }
        return loss
    }

    /// A ``T5WithValueHead`` around this model.
    public func withValueHead(seed: UInt64) -> any PolicyLanguageModel {
        T5WithValueHead(model: self, seed: seed)
    }
}
