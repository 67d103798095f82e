import DetoxDatasets
import DetoxDemo
import DetoxEvaluation
import DetoxLoRA
import DetoxModels
import DetoxTensor
import DetoxTestFiles
import DetoxTokenizers
import DetoxTraining
import Foundation
import Testing

@testable import DetoxPipeline

/// A minimal decoder-only world: a random tiny GPT-2 with a word tokenizer (`<|endoftext|>` its
/// EOS and pad), an untrained RoBERTa reward model (`nothate`, `hate`), an untrained ELECTRA
/// evaluator (`not offensive`, `offensive`), RealToxicityPrompts-shaped prompts and
/// wiki_toxic-shaped test comments — enough to drive PPO and the evaluation end to end.
enum CausalWorld {
    struct Folders {
        var gpt2: URL
        /// A tiny Llama (the family of SmolLM2) with the same tokenizer.
        var llama: URL
        var reward: URL
        var evaluator: URL
        var prompts: URL
        var comments: URL
    }

    static let words = DemoData.vocabulary

    static func build(at folder: URL) throws -> Folders {
        let gpt2 = folder.appendingPathComponent("gpt2")
        let vocabulary = try WordTokenizerFile.write(words: words, family: .gpt2, maxLength: 64, to: gpt2)
        let configuration = try GPT2Configuration(
            vocabularySize: vocabulary, positionCount: 64, hiddenSize: 32, layerCount: 2, headCount: 4, bosTokenID: 0,
            eosTokenID: 0)
        try ModelFolderWriter.write(
            configuration: configuration, module: try GPT2LMHeadModel(configuration: configuration, seed: 1), to: gpt2)
        let llama = folder.appendingPathComponent("llama")
        try WordTokenizerFile.write(words: words, family: .gpt2, maxLength: 64, to: llama)
        var llamaConfiguration = LlamaConfiguration()
        llamaConfiguration.vocabularySize = vocabulary
        llamaConfiguration.hiddenSize = 32
        llamaConfiguration.intermediateSize = 64
        llamaConfiguration.layerCount = 2
        llamaConfiguration.headCount = 4
        llamaConfiguration.keyValueHeadCount = 2
        llamaConfiguration.maxPositionEmbeddings = 128
        llamaConfiguration.bosTokenID = 0
        llamaConfiguration.eosTokenID = 0
        try ModelFolderWriter.write(
            configuration: llamaConfiguration, module: try LlamaForCausalLM(llama: llamaConfiguration, seed: 5),
            to: llama)
        let reward = try classifier(
            at: folder.appendingPathComponent("roberta"), family: .roberta, type: "roberta",
            labels: ["nothate", "hate"],
            seed: 2)
        let evaluator = try classifier(
            at: folder.appendingPathComponent("electra"), family: .bert, type: "electra",
            labels: ["not offensive", "offensive"], seed: 3)

        // Prompts: every third row has no score (left out), the rest alternate below and above 0.3.
        var stream = SeededGenerator(seed: 4)
        func sentence(_ count: Int) -> String {
            (0..<count).map { _ in words[7 + stream.nextInt(below: words.count - 7)] }.joined(separator: " ")
        }
        var lines: [String] = []
        for row in 0..<30 {
            let toxicity = row % 3 == 2 ? "null" : row % 3 == 0 ? "0.75" : "0.1"
            lines.append(
                #"{"filename": "f\#(row).txt", "begin": 0, "end": 9, "challenging": false, "prompt": {"text": "\#(sentence(6))", "toxicity": \#(toxicity), "profanity": null}, "continuation": {"text": " \#(sentence(8))", "toxicity": 0.2}}"#
            )
        }
        let prompts = folder.appendingPathComponent("prompts.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: prompts)
        var csv = "id,comment_text,label\n"
        for row in 0..<8 { csv += "c\(row),\(sentence(5)),\(row % 2)\n" }
        let comments = folder.appendingPathComponent("test.csv")
        try Data(csv.utf8).write(to: comments)
        return Folders(
            gpt2: gpt2, llama: llama, reward: reward, evaluator: evaluator, prompts: prompts, comments: comments)
    }

    static func classifier(
        at folder: URL, family: WordTokenizerFile.Family, type: String, labels: [String], seed: UInt64
    ) throws -> URL {
        let vocabulary = try WordTokenizerFile.write(words: words, family: family, maxLength: 64, to: folder)
        let id2label = labels.enumerated().map { "\"\($0.offset)\": \"\($0.element)\"" }.joined(separator: ", ")
        let padding = type == "roberta" ? #", "pad_token_id": 1"# : ""
        let json = """
            {"model_type": "\(type)", "vocab_size": \((vocabulary + 7) / 8 * 8), "embedding_size": 16, "hidden_size": 32,
             "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 72,
             "id2label": {\(id2label)}\(padding)}
            """
        var generator = SeededGenerator(seed: seed)
        let model = try SequenceClassifierModel.make(
            configuration: try BertConfiguration(jsonData: Data(json.utf8)), generator: &generator)
        try SequenceClassifierModel.save(model, to: folder)
        return folder
    }
}

@Suite(.serialized) struct CausalPPOTests {
    static func options(_ world: CausalWorld.Folders, output: URL, steps: Int) -> PPOStage.Options {
        var options = PPOStage.Options(
            model: world.gpt2, rewardModel: world.reward, dataFile: world.prompts, outputFolder: output,
            settings: PPOStage.Settings(prompts: .realToxicityPrompts))
        options.adapter = LoRAConfiguration(rank: 2, alpha: 4, dropout: 0, targets: .names(["c_attn"]))
        options.ppo.batchSize = 4
        options.ppo.miniBatchSize = 2
        options.ppo.ppoEpochs = 2
        options.ppo.learningRate = 1e-3
        options.steps = steps
        options.checkpointEvery = 2
        return options
    }

    /// The defaults for prompts are TRL's toxicity example's.
    @Test func promptSettingsTakeTheToxicityExampleDefaults() {
        let ppo = PPOStage.Settings(prompts: .realToxicityPrompts)
        #expect(ppo.lengthSampler.range == 20..<30 && ppo.queryLengths?.range == 30..<40 && ppo.minNewTokens == 0)
        #expect(PPOStage.Settings(prompts: .field("text")).queryLengths == nil)
        let evaluate = EvaluateStage.Settings(prompts: .wikiToxic)
        #expect(
            evaluate.generation.doSample && evaluate.generation.maxNewTokens == 30 && evaluate.generation.seed == 42)
    }

    /// PPO on RealToxicityPrompts with a LoRA policy on GPT-2: the responses hold 1–29 generated
    /// tokens, and stopping after the step-2 checkpoint then resuming reproduces the uninterrupted
    /// run's statistics and adapter bit for bit.
    @Test func loraPolicyRunsAndResumesBitIdentically() throws {
        let root = try TemporaryFolder()
        defer { root.cleanUp() }
        let world = try CausalWorld.build(at: root.file("world"))
        var lines: [String] = []
        let straight = try PPOStage.run(Self.options(world, output: root.file("straight"), steps: 4)) {
            lines.append($0)
        }
        // 10 scored toxic rows of 30; the first 8 (80%) train.
        #expect(lines.contains("8 RealToxicityPrompts rows with prompt.toxicity > 0.3 for training"))
        _ = try PPOStage.run(Self.options(world, output: root.file("resumed"), steps: 2))
        var resumedLines: [String] = []
        let resumed = try PPOStage.run(Self.options(world, output: root.file("resumed"), steps: 4)) {
            resumedLines.append($0)
        }
        #expect(resumedLines.contains { $0.contains("resuming PPO at step 2") })
        let a = try PPOStageTests.statistics(straight.logFile)
        let b = try PPOStageTests.statistics(resumed.logFile)
        try #require(a.count == 4 && b.count == 4)
        for (step, (x, y)) in zip(a, b).enumerated() {
            #expect(x == y, "step \(step + 1) differs")
        }
        for row in a {
            let length = try #require(row["tokens/responses_len_mean"])
            #expect(length >= 1 && length < 30)
            let queryLength = try #require(row["tokens/queries_len_mean"])
            #expect(queryLength >= 14 && queryLength < 40)
        }
        let adapterA = try Data(contentsOf: straight.adapterFolder.appendingPathComponent(LoRA.weightsFileName))
        let adapterB = try Data(contentsOf: resumed.adapterFolder.appendingPathComponent(LoRA.weightsFileName))
        #expect(adapterA == adapterB)
    }

    /// A reward label the classifier lacks stops the run before anything is written, naming the
    /// label and the classifier's labels; so do a 4-bit base under a full policy and a prompts file
    /// with fewer prompts than a batch.
    @Test func badRewardLabelsPoliciesAndDataAreRefusedUpFront() throws {
        let root = try TemporaryFolder()
        defer { root.cleanUp() }
        let world = try CausalWorld.build(at: root.file("world"))
        var options = Self.options(world, output: root.file("run"), steps: 1)
        options.rewardLabel = "not offensive"
        #expect(
            throws: TrainingError.invalidSetting(
                name: "reward label",
                reason: #"label "not offensive" is not one of the classifier's labels (0: nothate, 1: hate)"#)
        ) { try PPOStage.run(options) }
        let written = try FileManager.default.contentsOfDirectory(atPath: root.file("run").path)
        #expect(written.filter { !$0.hasPrefix(".") }.isEmpty)

        options.rewardLabel = "nothate"
        options.policy = .full
        options.quantization = .nf4
        #expect(
            throws: DetoxError.invalidSetting(
                name: "quantize", reason: "a full policy trains every weight, which cannot stay 4-bit; use none")
        ) { try PPOStage.run(options) }
        options.quantization = .none

        options.policy = .lora
        options.dataFile = world.comments
        options.prompts = .wikiToxic
        options.queryLengths = nil
        options.ppo.batchSize = 8
        #expect(
            throws: DetoxError.invalidSetting(name: "dataset", reason: "has 4 prompts, fewer than batch_size 8")
        ) { try PPOStage.run(options) }
    }

    /// A full policy (every weight trains, the reference a frozen copy sharing the first block):
    /// resuming from the step-2 checkpoint gives the uninterrupted run's statistics and model bit
    /// for bit; the shared block (embeddings and block 0) is the original's, the rest moved; and the
    /// evaluation reads the trained model from the run's `model/` folder.
    @Test func fullPolicyRunsResumesAndIsEvaluated() throws {
        let root = try TemporaryFolder()
        defer { root.cleanUp() }
        let world = try CausalWorld.build(at: root.file("world"))
        func options(_ output: String, steps: Int) -> PPOStage.Options {
            var options = Self.options(world, output: root.file(output), steps: steps)
            options.policy = .full
            options.numSharedLayers = 1
            options.ppo.learningRate = 1e-4
            return options
        }
        let straight = try PPOStage.run(options("straight", steps: 4))
        _ = try PPOStage.run(options("resumed", steps: 2))
        let resumed = try PPOStage.run(options("resumed", steps: 4))
        #expect(straight.adapterFolder.lastPathComponent == "model")
        let a = try PPOStageTests.statistics(straight.logFile)
        let b = try PPOStageTests.statistics(resumed.logFile)
        try #require(a.count == 4 && b.count == 4)
        for (step, (x, y)) in zip(a, b).enumerated() {
            #expect(x == y, "step \(step + 1) differs")
        }
        let weights = "model.safetensors"
        #expect(
            try Data(contentsOf: straight.adapterFolder.appendingPathComponent(weights))
                == Data(contentsOf: resumed.adapterFolder.appendingPathComponent(weights)))

        let original = try LanguageModelLoader.load(folder: world.gpt2).stateDict()
        let trained = try LanguageModelLoader.load(folder: straight.adapterFolder).stateDict()
        try #require(!original.isEmpty && Set(original.keys) == Set(trained.keys))
        for (name, tensor) in original {
            let shared =
                name.hasPrefix("transformer.wte") || name.hasPrefix("transformer.wpe")
                || name.hasPrefix("transformer.h.0.")
            if shared {
                #expect(trained[name]?.values == tensor.values, "\(name) moved")
            } else if name.hasPrefix("transformer.h.1.attn") {
                #expect(trained[name]?.values != tensor.values, "\(name) did not move")
            }
        }

        var evaluate = EvaluateStage.Options(
            model: world.gpt2, after: root.file("straight"), toxicityModel: world.evaluator, dataFile: world.comments,
            outputFolder: root.file("report"), settings: EvaluateStage.Settings(prompts: .wikiToxic))
        evaluate.toxicLabel = "offensive"
        evaluate.generation.maxNewTokens = 6
        let report = try EvaluateStage.run(evaluate).report
        #expect(report.samples.count == 4 && report.summary.cost != nil)
    }

    /// The decoder-only evaluation: toxic wiki_toxic comments continued before and after (the
    /// prompt removed), scored by the evaluator and the reward model; the perplexity under the
    /// original model matches one computed row by row from the model's own loss.
    @Test func evaluationContinuesToxicCommentsAndMeasuresTheCost() throws {
        let root = try TemporaryFolder()
        defer { root.cleanUp() }
        let world = try CausalWorld.build(at: root.file("world"))
        let ppo = try PPOStage.run(Self.options(world, output: root.file("ppo"), steps: 1))
        var options = EvaluateStage.Options(
            model: world.gpt2, after: root.file("ppo"), toxicityModel: world.evaluator, dataFile: world.comments,
            outputFolder: root.file("report"), settings: EvaluateStage.Settings(prompts: .wikiToxic))
        options.toxicLabel = "offensive"
        options.rewardModel = world.reward
        options.generation.maxNewTokens = 6
        options.batchSize = 3
        options.trainingLog = ppo.logFile
        let result = try EvaluateStage.run(options)
        let samples = result.report.samples
        // Rows 2, 4, 6 and 8 of the file carry label 1.
        try #require(samples.count == 4)
        #expect(samples.map(\.id) == ["line 3", "line 5", "line 7", "line 9"])
        #expect(samples.allSatisfy { $0.lengthBefore >= 1 && $0.lengthBefore <= 6 && $0.reference.isEmpty })
        #expect(samples.allSatisfy { (0...1).contains($0.toxicityBefore) && $0.rewardBefore.isFinite })
        let cost = try #require(result.report.summary.cost)
        #expect(cost.perplexityBefore > 1 && cost.perplexityAfter > 1)
        let html = try String(contentsOf: root.file("report/report.html"), encoding: .utf8)
        #expect(html.contains("Perplexity, original model") && html.contains("Mean reward"))

        // The same perplexity from the per-token log-probabilities of the model itself.
        let model = try LanguageModelLoader.load(folder: world.gpt2)
        let tokenizer = try Tokenizer.load(from: world.gpt2)
        let continued = try EvaluateStage.continuations(
            samples.map(\.query), model: model, tokenizer: tokenizer, options: options
        ) { _ in }
        try #require(continued.texts == samples.map(\.responseBefore))
        var total = 0.0
        var count = 0
        for (query, generated) in zip(continued.queries, continued.generated) {
            let loss = try Tensor.withNoGrad { try model.supervisedLoss(prompts: [query], targets: [generated]) }
            total += Double(loss.values[0]) * Double(generated.count)
            count += generated.count
        }
        let expected = exp(total / Double(count))
        #expect(Swift.abs(cost.perplexityBefore - expected) <= 1e-4 * expected)
    }

    @Test func distinctNCountsUniqueWordNGramsOverAllTexts() throws {
        #expect(Diversity.distinct(["a b a", "b a"], n: 1) == 2.0 / 5.0)
        #expect(Diversity.distinct(["a b a", "b a"], n: 2) == 2.0 / 3.0)
        #expect(Diversity.distinct(["a", ""], n: 2) == nil)
        #expect(Diversity.distinct(["a"], n: 0) == nil)
    }
}
