import DetoxCheckpoints
import DetoxDatasets
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
        public var rouge: [String: Double]
    }

    /// Summarizes `records` with `model`, in batches, greedy or sampled as `generation` says.
    public static func summarize(
        _ records: [DialogueRecord], model: any LanguageModel, tokenizer: Tokenizer, template: PromptTemplate,
        batchSize: Int, maxSourceLength: Int, generation: GenerationConfig, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [(prompt: String, summary: String, tokens: Int)] {
        var result: [(String, String, Int)] = []
        var generator = SeededGenerator(seed: generation.seed)
        defer { progress(result.count, records.count) }
        guard batchSize > 0 else {
            throw DetoxError.invalidSetting(name: "batch size", reason: "must be positive, got \(batchSize)")
        }
        for start in stride(from: 0, to: records.count, by: batchSize) {
            let chunk = Array(records[start..<Swift.min(start + batchSize, records.count)])
            let prompts = chunk.map { template.render($0) }
            let queries = prompts.map {
                tokenizer.encode($0, pair: nil, truncation: Truncation(maxLength: maxSourceLength)).ids
            }
            let responses = try model.generateResponses(
                queries: queries, configuration: generation, generator: &generator)
            for (i, response) in responses.map(model.generatedTokens(of:)).enumerated() {
                result.append((prompts[i], tokenizer.decode(response, skipSpecialTokens: true), response.count))
            }
            if result.count < records.count { progress(result.count, records.count) }
        }
        return result
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

    public static func run(_ options: Options, log: (String) -> Void = { _ in }) throws -> [Row] {
        try DetoxError.requireNonNegative(options.limit, "limit")
        let records =
            options.dataFile.path == "/dev/stdin" || options.dataFile.lastPathComponent == "-"
            ? Array(try standardInputRecords().prefix(options.limit))
            : try DialogueDataset.load(options.dataFile, malformedRows: .skip).prefix(options.limit).records
        let (model, tokenizer, _) = try PolicyLoading.load(folder: options.model, adapterFolder: options.adapter)
        let scorer = try RougeScorer(types: [.rouge1, .rouge2, .rougeL, .rougeLsum], useStemmer: true)
        let summaries = try summarize(
            records, model: model, tokenizer: tokenizer, template: options.template,
            batchSize: options.batchSize, maxSourceLength: options.maxSourceLength, generation: options.generation)
        var rows: [Row] = []
        for (record, output) in zip(records, summaries) {
            let scores = scorer.score(target: record.summary, prediction: output.summary)
            rows.append(
                Row(
                    id: record.id, prompt: output.prompt, summary: output.summary, reference: record.summary,
                    rouge: Dictionary(uniqueKeysWithValues: scores.map { ($0.key.name, $0.value.fmeasure) })))
            log("\(record.id): \(output.summary)")
        }
        if let file = options.outputFile {
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
