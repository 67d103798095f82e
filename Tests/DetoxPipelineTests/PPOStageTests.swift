import DetoxDatasets
import DetoxDemo
import DetoxLoRA
import DetoxModels
import DetoxPipeline
import DetoxTensor
import DetoxTestFiles
import DetoxTraining
import Foundation
import Testing

/// A minimal world of folders: a random tiny T5 with a word tokenizer, an untrained tiny ELECTRA
/// reward model, and a few dialogues — enough to drive the PPO stage end to end.
enum MiniWorld {
    static func build(at folder: URL) throws -> (t5: URL, reward: URL, data: URL) {
        let t5 = folder.appendingPathComponent("t5")
        let reward = folder.appendingPathComponent("electra")
        let words = DemoData.vocabulary
        let vocabulary = try WordTokenizerFile.write(words: words, family: .t5, maxLength: 256, to: t5)
        let configuration = try T5Configuration(
            vocabularySize: (vocabulary + 7) / 8 * 8, modelDimension: 32, keyValueDimension: 8,
            feedForwardDimension: 64,
            encoderLayerCount: 1, decoderLayerCount: 1, headCount: 4, relativeAttentionBucketCount: 8,
            relativeAttentionMaxDistance: 32, dropoutRate: 0.1)
        try ModelFolderWriter.write(
            configuration: configuration, module: try T5ForConditionalGeneration(configuration: configuration, seed: 1),
            to: t5)
        let classifierVocabulary = try WordTokenizerFile.write(words: words, family: .bert, maxLength: 64, to: reward)
        let json = """
            {"model_type": "electra", "vocab_size": \((classifierVocabulary + 7) / 8 * 8), "embedding_size": 16, "hidden_size": 32,
             "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64,
             "id2label": {"0": "not offensive", "1": "offensive"}}
            """
        var generator = SeededGenerator(seed: 2)
        let classifier = try SequenceClassifierModel.make(
            configuration: try BertConfiguration(jsonData: Data(json.utf8)), generator: &generator)
        try SequenceClassifierModel.save(classifier, to: reward)
        let data = folder.appendingPathComponent("train.csv")
        try DialogueDataset(records: DemoData(seed: 3, scale: 0.05).train).csvData().write(to: data)
        return (t5, reward, data)
    }
}

@Suite(.serialized) struct PPOStageTests {
    static func options(world: (t5: URL, reward: URL, data: URL), output: URL, steps: Int) throws -> PPOStage.Options {
        var options = PPOStage.Options(
            model: world.t5, rewardModel: world.reward, dataFile: world.data, outputFolder: output)
        options.rewardLabel = "not offensive"
        options.adapter = LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.1, targets: .names(["q", "v"]))
        options.ppo.batchSize = 4
        options.ppo.miniBatchSize = 2
        options.ppo.ppoEpochs = 2
        options.ppo.learningRate = 1e-3
        options.ppo.useScoreScaling = true
        options.steps = steps
        options.minNewTokens = 2
        options.lengthSampler = try LengthSampler(4, 8)
        options.maxSourceLength = 96
        options.checkpointEvery = 2
        return options
    }

    static func statistics(_ log: URL) throws -> [[String: Double]] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }.filter { !$0.key.hasPrefix("time/") }
        }
    }

    /// Stopping after the step-2 checkpoint and resuming reproduces the uninterrupted run's
    /// statistics exactly (every non-timing value of every step) and its final adapter.
    @Test func resumeReproducesTheUninterruptedStatistics() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try MiniWorld.build(at: root.appendingPathComponent("world"))

        let straight = try PPOStage.run(
            try Self.options(world: world, output: root.appendingPathComponent("straight"), steps: 4))
        _ = try PPOStage.run(try Self.options(world: world, output: root.appendingPathComponent("resumed"), steps: 2))
        var lines: [String] = []
        let resumed = try PPOStage.run(
            try Self.options(world: world, output: root.appendingPathComponent("resumed"), steps: 4)
        ) { lines.append($0) }
        #expect(lines.contains { $0.contains("resuming PPO at step 2") })

        let a = try Self.statistics(straight.logFile)
        let b = try Self.statistics(resumed.logFile)
        #expect(a.count == 4 && b.count == 4)
        for (step, (x, y)) in zip(a, b).enumerated() {
            #expect(x == y, "step \(step + 1) differs")
        }
        #expect(a.first?["objective/kl"] == 0)
        let adapterA = try Data(contentsOf: straight.adapterFolder.appendingPathComponent(LoRA.weightsFileName))
        let adapterB = try Data(contentsOf: resumed.adapterFolder.appendingPathComponent(LoRA.weightsFileName))
        #expect(adapterA == adapterB)
    }
}
