import DetoxDatasets
import DetoxTensor
import DetoxTokenizers
import DetoxTraining
import Foundation

extension PPOStage {
    /// The prompts of a run in a fixed order, and how a prompt becomes a query: rendered dialogues
    /// cut at ``Settings/maxSourceLength`` tokens, or prompts from a ``PromptSource`` cut at the
    /// length drawn for each (TRL's `tokenizer.encode(prompt + continuation)[:n]`).
    struct Prompts {
        let texts: [String]
        /// Where each prompt came from, for errors: `file:line`.
        let origins: [String]
        /// Tokens kept of each prompt, drawn once in file order; `nil` cuts at `maxSourceLength`.
        let lengths: [Int]?
        let maxSourceLength: Int

        var count: Int { texts.count }

        /// Reads the run's data file as its settings say (RealToxicityPrompts: the first 80% of the
        /// filtered rows, with one query length drawn per row from the run's seed).
        static func load(_ options: Options, log: (String) -> Void) throws -> Prompts {
            guard let source = options.prompts else {
                var dataset = try DataLoading.dialogues(options.dataFile, options.malformedRows, log: log)
                if let range = options.dialogueLength { dataset = dataset.filtered(dialogueLength: range) }
                return Prompts(
                    texts: dataset.records.map { options.template.render($0) },
                    origins: dataset.records.map { "\(options.dataFile.path), dialogue \($0.id)" }, lengths: nil,
                    maxSourceLength: options.maxSourceLength)
            }
            var dataset = try PromptDataset.load(options.dataFile, source: source, malformedRows: options.malformedRows)
            DataLoading.reportSkipped(dataset.skipped, in: options.dataFile, log: log)
            if source == .realToxicityPrompts {
                dataset = try dataset.split(testShare: PPOStage.realToxicityTestShare).train
                log("\(dataset.count) RealToxicityPrompts rows with prompt.toxicity > 0.3 for training")
            }
            var generator = SeededGenerator(seed: options.ppo.seed &+ 2)
            let lengths = options.queryLengths.map { sampler in dataset.prompts.map { _ in sampler.sample(&generator) }
            }
            return Prompts(
                texts: dataset.prompts.map(\.text),
                origins: dataset.prompts.map { "\(options.dataFile.path):\($0.line)" },
                lengths: lengths, maxSourceLength: options.maxSourceLength)
        }

        /// The query text and token ids of each of `rows`; a prompt cut to a drawn length reads as
        /// the decoded kept tokens.
        /// - Throws: ``DetoxError/invalidSetting(name:reason:)`` naming the prompt's file and line
        ///   when it gives no token.
        func queries(_ rows: [Int], tokenizer: Tokenizer) throws -> (texts: [String], ids: [[Int]]) {
            var texts: [String] = []
            var ids: [[Int]] = []
            for row in rows {
                if let lengths {
                    let kept = Array(tokenizer.encode(self.texts[row]).ids.prefix(lengths[row]))
                    texts.append(tokenizer.decode(kept, skipSpecialTokens: true))
                    ids.append(kept)
                } else {
                    texts.append(self.texts[row])
                    ids.append(
                        tokenizer.encode(self.texts[row], pair: nil, truncation: Truncation(maxLength: maxSourceLength))
                            .ids)
                }
            }
            if let empty = zip(rows, ids).first(where: { $0.1.isEmpty }) {
                throw DetoxError.invalidSetting(name: origins[empty.0], reason: "the prompt gives no token")
            }
            return (texts, ids)
        }
    }
}
