import DetoxCheckpoints
import DetoxDatasets
import DetoxDistributed
import DetoxEvaluation
import DetoxFiles
import DetoxModels
import DetoxTensor
import DetoxTokenizers
import Foundation

/// `detox summarize`: zero-shot (or adapter) summaries of dialogues, with ROUGE per sample.
public enum SummarizeStage {
    /// Everything a summarize run is told apart from its files. The defaults here are the only ones:
    /// a recipe's `zero_shot` section and the command's flags change fields of a `Settings()`.
    public struct Settings: Sendable, Equatable {
        public var template = PromptTemplate.summarize
        /// Dialogues summarized, from the start of the file.
        public var limit = 20
        public var batchSize = 8
        public var maxSourceLength = 512
        public var generation = GenerationConfig.greedy(maxNewTokens: 64)
        /// What a malformed data row does: stop the run naming its file and line (`.fail`), or be
        /// left out and counted in the log (`.skip`, the `--skip-bad-rows` flag).
        public var malformedRows = DialogueDataset.MalformedRowPolicy.fail

        public init() {}
    }

    /// The files of a run and its ``Settings`` (`options.limit` reads and writes `options.settings.limit`).
    public struct Options: StageOptions, Sendable {
        public var model: URL
        public var adapter: URL?
        public var dataFile: URL
        public var outputFile: URL?
        public var settings: Settings

        public init(model: URL, dataFile: URL, settings: Settings = Settings()) {
            self.model = model
            self.dataFile = dataFile
            self.settings = settings
        }
    }

    public struct Row: Sendable, Codable, Equatable {
        public var id: String
        public var prompt: String
        public var summary: String
        public var reference: String
        /// ROUGE F-measures against the reference; `nil` when the data has no reference summary
        /// for the row (a score against an empty text would only ever be 0).
        public var rouge: [String: Double]?
    }

    /// The mean ROUGE-L of the rows that have a reference, and how many those are.
    public static func meanRougeL(_ rows: [Row]) -> (mean: Double, count: Int)? {
        let scores = rows.compactMap { $0.rouge?["rougeL"] }
        guard !scores.isEmpty else { return nil }
        return (scores.reduce(0, +) / Double(scores.count), scores.count)
    }

    /// One summary as it travels between ranks.
    struct Summary: Codable {
        var prompt: String
        var summary: String
        var tokens: Int
    }

    /// Summarizes `records` with `model`, in batches, greedy or sampled as `generation` says.
    ///
    /// Under several ranks, each summarizes a contiguous share of whole batches (so every batch is
    /// the one a single process would generate, and greedy results equal its own) and every rank
    /// receives all summaries in the records' order. Sampling draws from the rank's stream
    /// (``DetoxDistributed/Communicator/samplingSeed(_:)``).
    public static func summarize(
        _ records: [DialogueRecord], model: any LanguageModel, tokenizer: Tokenizer, template: PromptTemplate,
        batchSize: Int, maxSourceLength: Int, generation: GenerationConfig,
        communicator: any Communicator = SingleProcessCommunicator(), progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [(prompt: String, summary: String, tokens: Int)] {
        var result: [Summary] = []
        var generator = SeededGenerator(seed: communicator.samplingSeed(generation.seed))
        var mine = 0..<records.count
        defer { progress(result.count, mine.count) }
        guard batchSize > 0 else {
            throw DetoxError.invalidSetting(name: "batch size", reason: "must be positive, got \(batchSize)")
        }
        let batches = communicator.share(of: (records.count + batchSize - 1) / batchSize)
        mine =
            Swift.min(
                batches.lowerBound * batchSize, records.count)..<Swift.min(
                batches.upperBound * batchSize, records.count)
        for start in stride(from: mine.lowerBound, to: mine.upperBound, by: batchSize) {
            let chunk = Array(records[start..<Swift.min(start + batchSize, mine.upperBound)])
            let prompts = chunk.map { template.render($0) }
            let queries = prompts.map {
                tokenizer.encode($0, pair: nil, truncation: Truncation(maxLength: maxSourceLength)).ids
            }
            let responses = try model.generateResponses(
                queries: queries, configuration: generation, generator: &generator)
            for (i, response) in responses.map(model.generatedTokens(of:)).enumerated() {
                result.append(
                    Summary(
                        prompt: prompts[i], summary: tokenizer.decode(response, skipSpecialTokens: true),
                        tokens: response.count))
            }
            if result.count < mine.count { progress(result.count, mine.count) }
        }
        return try communicator.allGatherConcatenated(result).map { ($0.prompt, $0.summary, $0.tokens) }
    }

    /// Dialogues from standard input: JSON lines of DialogSum records, or else the whole input as one dialogue.
    public static func standardInputRecords() throws -> [DialogueRecord] {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        if let parsed = try? DialogueDataset.jsonLines(data, file: "<stdin>"), !parsed.records.isEmpty {
            return parsed.records
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw DetoxError.invalidSetting(name: "standard input", reason: "is empty") }
        return [DialogueRecord(id: "stdin", dialogue: text, summary: "")]
    }

    /// Summarizes and scores the dialogues; under `mpirun` the ranks share the batches and rank 0
    /// alone logs and writes `outputFile`.
    public static func run(_ options: Options, log rootLog: (String) -> Void = { _ in }) throws -> [Row] {
        let world = try Distributed.world()
        let isRoot = world.isRoot
        func log(_ line: String) { if isRoot { rootLog(line) } }
        try DetoxError.requireNonNegative(options.limit, "limit")
        let records =
            options.dataFile.path == "/dev/stdin" || options.dataFile.lastPathComponent == "-"
            ? Array(try standardInputRecords().prefix(options.limit))
            : try DataLoading.dialogues(options.dataFile, options.malformedRows, log: log).prefix(options.limit).records
        let (model, tokenizer, _) = try PolicyLoading.load(folder: options.model, adapterFolder: options.adapter)
        let scorer = try RougeScorer(types: [.rouge1, .rouge2, .rougeL, .rougeLsum], useStemmer: true)
        let summaries = try summarize(
            records, model: model, tokenizer: tokenizer, template: options.template,
            batchSize: options.batchSize, maxSourceLength: options.maxSourceLength, generation: options.generation,
            communicator: world)
        var rows: [Row] = []
        for (record, output) in zip(records, summaries) {
            let rouge = record.summary.isEmpty ? nil : scorer.score(target: record.summary, prediction: output.summary)
            rows.append(
                Row(
                    id: record.id, prompt: output.prompt, summary: output.summary, reference: record.summary,
                    rouge: rouge.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.name, $0.value.fmeasure) }) }))
            log("\(record.id): \(output.summary)")
        }
        if let file = options.outputFile, world.isRoot {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var data = Data()
            for row in rows {
                data.append(try encoder.encode(row))
                data.append(UInt8(ascii: "\n"))
            }
            try AtomicFileWriter.write([UInt8](data), to: file)
        }
        return rows
    }
}
