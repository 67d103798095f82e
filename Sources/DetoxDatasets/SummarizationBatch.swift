import DetoxTokenizers

/// A padded batch of prompts and (optionally) target summaries, as plain token ids.
///
/// Shapes: `inputIDs` and `attentionMask` are `[count, sourceLength]` row-major; `labels` is
/// `[count, targetLength]` with `-100` on padding, so the loss skips it (transformers' convention).
public struct SummarizationBatch: Sendable, Equatable {
    public var ids: [String]
    public var prompts: [String]
    public var inputIDs: [Int]
    public var attentionMask: [Int]
    public var sourceLength: Int
    public var labels: [Int]
    public var targetLength: Int

    public var count: Int { ids.count }

    /// The label value the loss ignores.
    public static let ignoreIndex = -100

    /// Tokenizes prompts (right-padded to the longest, truncated to `maxSourceLength`) and, when
    /// `includeTargets`, the reference summaries (truncated to `maxTargetLength`; `-100` on padding).
    public init(
        records: [DialogueRecord], template: PromptTemplate, tokenizer: Tokenizer,
        maxSourceLength: Int, maxTargetLength: Int, includeTargets: Bool = true
    ) {
        let prompts = records.map { template.render($0) }
        let sources = tokenizer.encodeBatch(
            prompts, padding: .longest, truncation: Truncation(maxLength: maxSourceLength))
        self.ids = records.map(\.id)
        self.prompts = prompts
        self.sourceLength = sources.first?.ids.count ?? 0
        self.inputIDs = sources.flatMap(\.ids)
        self.attentionMask = sources.flatMap(\.attentionMask)
        if includeTargets {
            let targets = tokenizer.encodeBatch(
                records.map(\.summary), padding: .longest, truncation: Truncation(maxLength: maxTargetLength))
            self.targetLength = targets.first?.ids.count ?? 0
            self.labels = targets.flatMap { encoding in
                zip(encoding.ids, encoding.attentionMask).map { $1 == 1 ? $0 : SummarizationBatch.ignoreIndex }
            }
        } else {
            self.targetLength = 0
            self.labels = []
        }
    }
}

extension DialogueDataset {
    /// Consecutive batches of `size` records (the last one may be smaller), in order.
    public func batches(of size: Int) -> [[DialogueRecord]] {
        guard size > 0 else { return [] }
        return stride(from: 0, to: records.count, by: size).map {
            Array(records[$0..<Swift.min($0 + size, records.count)])
        }
    }
}
