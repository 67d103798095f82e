// The decoder-only evaluation of trl examples/research_projects/toxicity/scripts/evaluate-toxicity.py
// (v0.11.4): sampled continuations of toxic prompts, the prompt removed, scored for toxicity; plus
// the cost in perplexity and diversity.
import DetoxDatasets
import DetoxDistributed
import DetoxEvaluation
import DetoxModels
import DetoxTensor
import DetoxTokenizers
import Foundation

extension EvaluateStage {
    /// One model's continuations of the evaluation prompts.
    struct Continuations {
        /// The prompt tokens each continuation was generated from (cut at `maxSourceLength`).
        var queries: [[Int]] = []
        /// The generated tokens, an EOS that ended a row included.
        var generated: [[Int]] = []
        /// The generated text, special tokens left out (the prompt is not part of it).
        var texts: [String] = []
    }

    /// One continued prompt, as it travels between ranks.
    struct ContinuedRow: Codable {
        var query: [Int]
        var generated: [Int]
        var text: String
    }

    /// The seed of batch `index`'s sampling stream in a run seeded `seed`: `seed + index × 0x9E3779B97F4A7C15`
    /// (wrapping), so the first batch samples from the run seed's own stream and every batch draws
    /// the same numbers whichever rank continues it.
    static func batchSeed(_ seed: UInt64, batch index: Int) -> UInt64 {
        seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Continues `prompts` with `model` in batches of `options.batchSize`, batch `k` sampling from
    /// its own stream (``batchSeed(_:batch:)`` of `options.generation.seed`), so both sides draw the
    /// same numbers. Under several ranks, each continues a contiguous share of the batches and
    /// every rank receives all continuations in the original order: the same as one process.
    static func continuations(
        _ prompts: [String], model: any LanguageModel, tokenizer: Tokenizer, options: Options,
        communicator: any Communicator = SingleProcessCommunicator(), progress: (Int) -> Void
    ) throws -> Continuations {
        guard options.batchSize > 0 else {
            throw DetoxError.invalidSetting(name: "batch size", reason: "must be positive, got \(options.batchSize)")
        }
        var rows: [ContinuedRow] = []
        for batch in communicator.share(of: (prompts.count + options.batchSize - 1) / options.batchSize) {
            let start = batch * options.batchSize
            let queries = prompts[start..<Swift.min(start + options.batchSize, prompts.count)].map {
                tokenizer.encode($0, pair: nil, truncation: Truncation(maxLength: options.maxSourceLength)).ids
            }
            var generator = SeededGenerator(seed: batchSeed(options.generation.seed, batch: batch))
            let responses = try model.generateResponses(
                queries: queries, configuration: options.generation, generator: &generator)
            for (query, response) in zip(queries, responses) {
                let generated = model.generatedTokens(of: response)
                rows.append(
                    ContinuedRow(
                        query: query, generated: generated,
                        text: tokenizer.decode(generated, skipSpecialTokens: true)))
            }
            progress(rows.count)
        }
        let all = try communicator.allGatherConcatenated(rows)
        return Continuations(queries: all.map(\.query), generated: all.map(\.generated), texts: all.map(\.text))
    }

    /// The perplexity of `continuations` given their prompts under `model`: `exp` of the mean
    /// negative log-likelihood over every continuation token (teacher-forced, no dropout, no
    /// gradients), accumulated over batches of `batchSize` rows. Under several ranks, each scores a
    /// contiguous share of the batches and the per-batch sums are added in batch order on every
    /// rank, so the result is the one process's to the bit.
    /// - Throws: ``DetoxError/invalidSetting(name:reason:)`` when there is no continuation token.
    public static func perplexity(
        of continuations: [[Int]], given prompts: [[Int]], model: any LanguageModel, batchSize: Int,
        communicator: any Communicator = SingleProcessCommunicator()
    ) throws -> Double {
        guard prompts.count == continuations.count, batchSize > 0 else {
            throw DetoxError.invalidSetting(
                name: "perplexity",
                reason: "\(prompts.count) prompts, \(continuations.count) continuations, batch size \(batchSize)")
        }
        model.setTraining(false)
        // Per batch of this rank's share: negative log-likelihood × tokens, and tokens.
        var sums: [[Double]] = []
        try Tensor.withNoGrad {
            for batch in communicator.share(of: (prompts.count + batchSize - 1) / batchSize) {
                let start = batch * batchSize
                let rows = (start..<Swift.min(start + batchSize, prompts.count)).filter { !continuations[$0].isEmpty }
                guard !rows.isEmpty else { continue }
                let count = rows.reduce(0) { $0 + continuations[$1].count }
                let loss = try model.supervisedLoss(
                    prompts: rows.map { prompts[$0] }, targets: rows.map { continuations[$0] })
                sums.append([Double(loss.values[0]) * Double(count), Double(count)])
            }
        }
        var negativeLogLikelihood = 0.0
        var tokens = 0.0
        for sum in try communicator.allGatherConcatenated(sums) where sum.count == 2 {
            negativeLogLikelihood += sum[0]
            tokens += sum[1]
        }
        guard tokens > 0 else {
            throw DetoxError.invalidSetting(name: "perplexity", reason: "no continuation token to score")
        }
        return exp(negativeLogLikelihood / tokens)
    }

    /// `detox evaluate` for prompts read from a ``PromptSource`` (decoder-only models).
    /// Under `mpirun` the ranks share the continuing and the perplexity batches (see
    /// ``continuations(_:model:tokenizer:options:communicator:progress:)``); every rank scores all
    /// continuations and rank 0 alone writes the report, the one a single process writes.
    static func continuePrompts(
        _ options: Options, source: PromptSource, world: any Communicator, log: (String) -> Void
    ) throws -> Result {
        let dataset = try PromptDataset.load(options.dataFile, source: source, malformedRows: options.malformedRows)
        DataLoading.reportSkipped(dataset.skipped, in: options.dataFile, log: log)
        let prompts = Array(dataset.prompts.prefix(options.count))
        guard !prompts.isEmpty else { throw DetoxError.invalidSetting(name: "evaluation set", reason: "is empty") }
        let (before, after, tokenizer) = try models(options)

        log("continuing \(prompts.count) prompts before and after")
        func generate(_ model: any LanguageModel, _ label: String) throws -> Continuations {
            let share = world.share(of: (prompts.count + options.batchSize - 1) / Swift.max(1, options.batchSize))
            let total = Swift.min(prompts.count, share.count * options.batchSize)
            let clock = ProgressClock(total: total, unit: "prompt")
            return try continuations(
                prompts.map(\.text), model: model, tokenizer: tokenizer, options: options, communicator: world
            ) {
                log("  \(label): \($0)/\(total) continued\(DistributedRun.ranks(world)) (\(clock.describe(done: $0)))")
            }
        }
        let beforeOut = try generate(before, "before")
        let afterOut = try generate(after, "after")
        log(
            "scoring toxicity with \(ModelLocator.displayName(of: options.toxicityModel)) (label \"\(options.toxicLabel)\")"
        )
        let toxic = try toxicity(
            beforeOut.texts + afterOut.texts, classifierFolder: options.toxicityModel, label: options.toxicLabel)
        try requireFinite(toxic, what: "toxicity score", model: options.toxicityModel)
        let rewards = try rewardScores(beforeOut.texts + afterOut.texts, options)
        log("perplexity of both sides' continuations under the original model")
        let cost = GenerationCost(
            perplexityBefore: try perplexity(
                of: beforeOut.generated, given: beforeOut.queries, model: before, batchSize: options.batchSize,
                communicator: world),
            perplexityAfter: try perplexity(
                of: afterOut.generated, given: afterOut.queries, model: before, batchSize: options.batchSize,
                communicator: world),
            before: beforeOut.texts, after: afterOut.texts)

        let n = prompts.count
        let samples = prompts.indices.map { i in
            SampleComparison(
                id: "line \(prompts[i].line)", query: prompts[i].text, reference: "",
                responseBefore: beforeOut.texts[i], responseAfter: afterOut.texts[i],
                rewardBefore: rewards[i], rewardAfter: rewards[n + i], toxicityBefore: toxic[i],
                toxicityAfter: toxic[n + i], rougeBefore: [:], rougeAfter: [:],
                lengthBefore: beforeOut.generated[i].count, lengthAfter: afterOut.generated[i].count)
        }
        let settings: [String: String] = [
            "model": options.model.path, "before adapters": options.beforeAdapters.map(\.path).joined(separator: ", "),
            "after": options.after.path, "toxicity model": options.toxicityModel.path,
            "toxic label": options.toxicLabel, "reward model": options.rewardModel?.path ?? "none",
            "reward label": options.rewardLabel, "prompts": "\(options.dataFile.path) (\(source.name))",
            "samples": "\(n)",
            "generation": options.generation.doSample ? "sampling (seed \(options.generation.seed))" : "greedy",
            "max new tokens": "\(options.generation.maxNewTokens)", "scored text": "continuation (prompt removed)",
            "perplexity": "under the original (before) model, continuation tokens given the prompt",
        ]
        let report = try ComparisonReport(settings: settings, samples: samples, cost: cost)
        let trainingLog = try options.trainingLog.flatMap { url in
            FileManager.default.fileExists(atPath: url.path) ? try TrainingLog(contentsOf: url) : nil
        }
        let html = HTMLReport.render(
            report, trainingLog: trainingLog, title: "Detox report", lede: HTMLReport.continuationsLede)
        let files = world.isRoot ? try report.write(to: options.outputFolder, html: html) : []
        return Result(report: report, files: files)
    }
}
