/// What generation returns for a batch.
public struct GenerationOutput: Sendable, Equatable {
    /// One row per input, transformers' layout: `[decoder_start, t1, t2, ...]` for an
    /// encoder–decoder, the left-padded prompt then the new tokens for a decoder-only model; all
    /// rows as long as the longest (``promptLength`` + steps run); after a row's EOS the rest is
    /// `pad_token_id`.
    public let sequences: [[Int]]
    /// Tokens each row generated, its EOS included (pad after it excluded).
    public let generatedCounts: [Int]
    /// Whether each row stopped at EOS (otherwise it reached `maxNewTokens`).
    public let stoppedAtEOS: [Bool]
    /// With `returnLogProbabilities`: `[B][steps]` log-probability of each generated token (see
    /// ``GenerationConfig/logProbabilitySource``); 0 at padded positions after EOS.
    public let logProbabilities: [[Float]]?
    /// The tokens in front of the generated ones in every row: 1 (the decoder start token) for an
    /// encoder–decoder, the padded prompt's length for a decoder-only model.
    public let promptLength: Int

    public init(
        sequences: [[Int]], generatedCounts: [Int], stoppedAtEOS: [Bool], logProbabilities: [[Float]]?,
        promptLength: Int = 1
    ) {
        self.promptLength = promptLength
        self.sequences = sequences
        self.generatedCounts = generatedCounts
        self.stoppedAtEOS = stoppedAtEOS
        self.logProbabilities = logProbabilities
    }

    /// Each row's generated tokens without the start token (or prompt) and without the padding after EOS.
    public var responses: [[Int]] {
        zip(sequences, generatedCounts).map { Array($0.dropFirst(promptLength).prefix($1)) }
    }
}
