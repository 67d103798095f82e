import DetoxDatasets
import DetoxFiles
import DetoxModels
import DetoxPipeline
import DetoxTestFiles
import DetoxTokenizers
import Foundation
import Testing

@Suite struct GenerateStageTests {
    static let prompts = ["hello how are you", "good morning", "thank you very much for the help today", "yes"]

    /// Greedy continuations do not depend on how prompts are batched (each row is padded apart from
    /// the others' lengths), the rows carry the tokenizer's counts, and the file holds one JSON
    /// object per prompt with the documented keys.
    @Test func writesOneRowPerPromptWhateverTheBatching() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let promptsFile = folder.file("prompts.txt")
        try Data((Self.prompts.joined(separator: "\n") + "\n").utf8).write(to: promptsFile)
        var options = GenerateStage.Options(model: world.t5, promptsFile: promptsFile)
        options.generation.maxNewTokens = 6
        options.batchSize = 3
        options.outputFile = folder.file("out.jsonl")
        let rows = try GenerateStage.run(options)
        try #require(rows.count == Self.prompts.count)
        #expect(rows.map(\.prompt) == Self.prompts)

        let tokenizer = try Tokenizer.load(from: world.t5)
        #expect(rows.map(\.promptTokens) == Self.prompts.map { tokenizer.encode($0).ids.count })
        #expect(rows.allSatisfy { $0.continuationTokens >= 1 && $0.continuationTokens <= 6 })

        options.batchSize = 1
        options.outputFile = nil
        #expect(try GenerateStage.run(options) == rows)

        let lines = try String(contentsOf: folder.file("out.jsonl"), encoding: .utf8).split(separator: "\n")
        try #require(lines.count == rows.count)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(Set(first.keys) == ["prompt", "continuation", "prompt_tokens", "continuation_tokens"])
        #expect(first["prompt"] as? String == Self.prompts[0])
    }

    @Test func readsANamedFieldAndHonoursTheLimit() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let promptsFile = folder.file("prompts.jsonl")
        let lines = Self.prompts.map { #"{"prompt": {"text": "\#($0)"}, "id": 1}"# }
        try Data(lines.joined(separator: "\n").utf8).write(to: promptsFile)
        var options = GenerateStage.Options(model: world.t5, promptsFile: promptsFile)
        options.promptField = "prompt.text"
        options.limit = 2
        options.generation = .sampling(maxNewTokens: 4, seed: 7)
        let rows = try GenerateStage.run(options)
        #expect(rows.map(\.prompt) == Array(Self.prompts.prefix(2)))
        #expect(try GenerateStage.run(options) == rows)

        options.batchSize = 0
        #expect(throws: DetoxError.invalidSetting(name: "batch size", reason: "must be positive, got 0")) {
            try GenerateStage.run(options)
        }
    }

    /// A negative limit or a batch size below one is a typed error naming the setting, not a trap.
    @Test func negativeLimitsAndEmptyBatchesAreRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let negative = DetoxError.invalidSetting(name: "limit", reason: "must not be negative, got -1")
        var generate = GenerateStage.Options(model: world.t5, promptsFile: world.data)
        generate.promptField = "dialogue"
        generate.limit = -1
        #expect(throws: negative) { try GenerateStage.run(generate) }
        var summarize = SummarizeStage.Options(model: world.t5, dataFile: world.data)
        summarize.limit = -1
        #expect(throws: negative) { try SummarizeStage.run(summarize) }
        summarize.limit = 2
        summarize.batchSize = 0
        #expect(throws: DetoxError.invalidSetting(name: "batch size", reason: "must be positive, got 0")) {
            try SummarizeStage.run(summarize)
        }
        var fineTune = FineTuneStage.Options(model: world.t5, trainFile: world.data, outputFolder: folder.file("sft"))
        fineTune.limit = -1
        #expect(throws: negative) { try FineTuneStage.run(fineTune) }
    }

    /// A malformed row stops a stage with its file and line unless the settings say to skip such
    /// rows; then the log counts what was left out.
    @Test func malformedRowsStopTheStageUnlessSkipped() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let data = try String(contentsOf: world.data, encoding: .utf8)
        try #require(data.hasSuffix("\n"))
        let bad = folder.file("bad.csv")
        try Data((data + "only,two\n").utf8).write(to: bad)
        let badLine = data.filter { $0 == "\n" }.count + 1
        var options = SummarizeStage.Options(model: world.t5, dataFile: bad)
        options.limit = 2
        options.generation.maxNewTokens = 2
        #expect(throws: DatasetError.raggedRow(file: bad.path, line: badLine, expected: 4, actual: 2)) {
            try SummarizeStage.run(options)
        }
        options.malformedRows = .skip
        var log: [String] = []
        let rows = try SummarizeStage.run(options) { log.append($0) }
        #expect(rows.count == 2)
        #expect(log.first?.hasPrefix("skipped 1 malformed rows of bad.csv; the first: ") == true)
    }

    /// Dialogues without reference summaries get no ROUGE rather than a score of 0.
    @Test func summariesWithoutReferencesHaveNoRouge() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let data = folder.file("no-summaries.csv")
        try Data("id,dialogue\na,hello how are you\nb,good morning\n".utf8).write(to: data)
        var options = SummarizeStage.Options(model: world.t5, dataFile: data)
        options.generation.maxNewTokens = 2
        let rows = try SummarizeStage.run(options)
        try #require(rows.count == 2)
        #expect(rows.allSatisfy { $0.rouge == nil })
        #expect(SummarizeStage.meanRougeL(rows) == nil)
        let withReference = try SummarizeStage.run(SummarizeStage.Options(model: world.t5, dataFile: world.data))
        #expect(SummarizeStage.meanRougeL(withReference)?.count == withReference.count)
    }

    /// A stage refuses an output folder another run is writing into.
    @Test func aClaimedOutputFolderIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let out = folder.file("sft")
        let claim = try FolderLock(claiming: out)
        let options = FineTuneStage.Options(model: world.t5, trainFile: world.data, outputFolder: out)
        #expect(throws: FileWriteError.busy(folder: out.path, holder: ProcessInfo.processInfo.processIdentifier)) {
            try FineTuneStage.run(options)
        }
        withExtendedLifetime(claim) {}
    }
}
