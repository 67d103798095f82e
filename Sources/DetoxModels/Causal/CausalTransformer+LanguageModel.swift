// Semantics of transformers src/transformers/generation/utils.py and loss/loss_utils.py (v4.46.3)
// for a decoder-only policy: prompts left-padded, responses the generated tokens.
import DetoxNN
import DetoxTensor

extension CausalTransformer {
    /// Queries left-padded with the pad id; each response is the row's generated tokens, its EOS
    /// included when one was generated (no padding).
    public func generateResponses(
        queries: [[Int]], configuration settings: GenerationConfig, generator: inout SeededGenerator
    ) throws -> [[Int]] {
        let inputs = try CausalInputs.leftPadded(
            queries, pad: settings.padTokenID ?? padTokenID, vocabularySize: vocabularySize)
        let rows = stride(from: 0, to: inputs.ids.count, by: inputs.length).map {
            Array(inputs.ids[$0..<($0 + inputs.length)])
        }
        return try generate(inputIDs: rows, attentionMask: inputs.mask, configuration: settings, generator: &generator)
            .responses
    }

    /// A decoder-only response holds only generated tokens.
    public func generatedTokens(of response: [Int]) -> [Int] { response }

    /// Each prompt and its target concatenated and left-padded; the labels are the target tokens
    /// (prompt and padding `-100`), so the causal loss is the mean over every target token.
    public func supervisedLoss(prompts: [[Int]], targets: [[Int]]) throws -> Tensor {
        guard prompts.count == targets.count else {
            throw ModelError.invalidInput("\(prompts.count) prompts but \(targets.count) targets")
        }
        let rows = zip(prompts, targets).map { $0 + $1 }
        let inputs = try CausalInputs.leftPadded(rows, pad: padTokenID, vocabularySize: vocabularySize)
        let labels = zip(prompts, targets).map { prompt, target in
            [Int](repeating: Losses.ignoreIndex, count: inputs.length - target.count) + target
        }
        guard let loss = try forward(inputs, labels: labels).loss else {
            throw ModelError.invalidInput("no loss for the supervised targets")
        }
        return loss
    }
}
