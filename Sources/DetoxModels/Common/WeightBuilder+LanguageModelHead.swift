import DetoxNN

extension WeightBuilder {
    /// A language-model head in `slot`: `Linear(hidden, vocab)` without bias, weight ~ `N(0, std²)`
    /// when initialised — or `nil` when `tied`, the logits then coming from the token embedding
    /// (T5's `shared`, GPT's `wte`, Llama's `embed_tokens`).
    func languageModelHead<Owner>(
        _ slot: ModuleSlot<Owner>, tied: Bool, hiddenSize: Int, vocabularySize: Int, std: Float
    ) throws -> (any LinearLayer)? {
        if tied { return nil }
        return try linear(slot, inFeatures: hiddenSize, outFeatures: vocabularySize, bias: false, std: std)
    }
}
