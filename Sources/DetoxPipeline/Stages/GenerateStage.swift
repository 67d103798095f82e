import DetoxDatasets
import DetoxDistributed
import DetoxFiles
import DetoxModels
import DetoxTensor
import DetoxTokenizers
import Foundation

/// `detox generate`: continuations of prompts read from a file, by any language model the loader
/// knows (with an adapter if given), written as JSON Lines.
public enum GenerateStage {
    /// Everything a generate run is told apart from its files. The defaults here are the only ones:
    /// the command's flags change fields of a `Settings()`.
    public struct Settings: Sendable, Equatable {
        /// The prompt's field in a JSON Lines or CSV file (dots reach into nested objects); a
        /// plain-text file has one prompt per line.
        public var promptField = "prompt"
        /// Prompts read, from the start of the file; `nil` reads them all.
        public var limit: Int?
        /// Prompts per generation batch.
        public var batchSize = 8
        /// Tokens kept of each prompt (its special tokens included), from the start.
        public var maxPromptLength = 512
        public var generation = GenerationConfig.greedy(maxNewTokens: 30)
        /// What a malformed data row does: stop the run naming its file and line (`.fail`), or be
        /// left out and counted in the log (`.skip`, the `--skip-bad-rows` flag).
        public var malformedRows = DialogueDataset.MalformedRowPolicy.fail

        public init() {}
    }

    /// The files of a run and its ``Settings``.
    public struct Options: StageOptions, Sendable {
        public var model: URL
        public var adapter: URL?
        public var promptsFile: URL
        /// Where the JSON Lines go; `nil` returns the rows only.
        public var outputFile: URL?
        public var settings: Settings

        public init(model: URL, promptsFile: URL, settings: Settings = Settings()) {
            self.model = model
            self.promptsFile = promptsFile
            self.settings = settings
        }
    }

    /// One line of the output.
    public struct Row: Sendable, Codable, Equatable {
        public var prompt: String
        /// The generated text, special tokens left out.
        public var continuation: String
        /// Tokens of the prompt as the model read it (after truncation, special tokens included).
        public var promptTokens: Int
        /// Tokens generated, an EOS that ended the row included.
        public var continuationTokens: Int

        enum CodingKeys: String, CodingKey {
            case prompt, continuation
            case promptTokens = "prompt_tokens"
            case continuationTokens = "continuation_tokens"
        }
    }

    /// Continues each prompt with `model`, in batches, greedy or sampled as `settings.generation`
    /// says (one random stream from its seed across the batches). Calls `progress` with the rows
    /// done and the total.
    ///
    /// Under several ranks, each continues a contiguous share of whole batches, sampling from its
    /// own stream (``DetoxDistributed/Communicator/samplingSeed(_:)``), and every rank receives all
    /// rows in the prompts' order.
    public static func generate(
        _ prompts: [String], model: any LanguageModel, tokenizer: Tokenizer, settings: Settings,
        communicator: any Communicator = SingleProcessCommunicator(), progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [Row] {
        guard settings.batchSize > 0 else {
            throw DetoxError.invalidSetting(name: "batch size", reason: "must be positive, got \(settings.batchSize)")
        }
        guard settings.maxPromptLength > 0 else {
            throw DetoxError.invalidSetting(
                name: "max prompt length", reason: "must be positive, got \(settings.maxPromptLength)")
        }
        var rows: [Row] = []
        var generator = SeededGenerator(seed: communicator.samplingSeed(settings.generation.seed))
        let batchSize = settings.batchSize
        let batches = communicator.share(of: (prompts.count + batchSize - 1) / batchSize)
        let mine =
            Swift.min(
                batches.lowerBound * batchSize, prompts.count)..<Swift.min(
                batches.upperBound * batchSize, prompts.count)
        for start in stride(from: mine.lowerBound, to: mine.upperBound, by: batchSize) {
            let chunk = prompts[start..<Swift.min(start + batchSize, mine.upperBound)]
            let queries = chunk.map {
                tokenizer.encode($0, pair: nil, truncation: Truncation(maxLength: settings.maxPromptLength)).ids
            }
            let responses = try model.generateResponses(
                queries: queries, configuration: settings.generation, generator: &generator)
            for (prompt, (query, response)) in zip(chunk, zip(queries, responses)) {
                let generated = model.generatedTokens(of: response)
                rows.append(
                    Row(
                        prompt: prompt, continuation: tokenizer.decode(generated, skipSpecialTokens: true),
                        promptTokens: query.count, continuationTokens: generated.count))
            }
            progress(rows.count, mine.count)
        }
        return try communicator.allGatherConcatenated(rows)
    }

    /// Reads the prompts, loads the model, generates, and writes the rows (atomically) when
    /// `options.outputFile` is set.
    /// Under `mpirun`, the ranks share the batches and rank 0 alone logs and writes.
    public static func run(_ options: Options, log rootLog: (String) -> Void = { _ in }) throws -> [Row] {
        let world = try Distributed.world()
        let isRoot = world.isRoot
        func log(_ line: String) { if isRoot { rootLog(line) } }
        try DetoxError.requireNonNegative(options.limit, "limit")
        let table = try TextTable.load(
            options.promptsFile, fields: [TextTable.Field(options.promptField)], malformedRows: options.malformedRows)
        DataLoading.reportSkipped(table.skipped, in: options.promptsFile, log: log)
        var prompts = table.rows.map { $0.values[0] ?? "" }
        if let limit = options.limit { prompts = Array(prompts.prefix(limit)) }
        let (model, tokenizer, _) = try PolicyLoading.load(folder: options.model, adapterFolder: options.adapter)
        let share = world.share(of: (prompts.count + options.batchSize - 1) / Swift.max(1, options.batchSize))
        let clock = ProgressClock(
            total: Swift.min(prompts.count, share.count * options.batchSize), unit: "prompt")
        let rows = try generate(
            prompts, model: model, tokenizer: tokenizer, settings: options.settings, communicator: world
        ) { done, total in
            log("generated \(done)/\(total)\(DistributedRun.ranks(world)) (\(clock.describe(done: done)))")
        }
        if let file = options.outputFile, world.isRoot { try AtomicFileWriter.write(try jsonLines(rows), to: file) }
        return rows
    }

    /// The rows as JSON Lines, keys sorted.
    public static func jsonLines(_ rows: [Row]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes: [UInt8] = []
        for row in rows {
            bytes += try encoder.encode(row)
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}
