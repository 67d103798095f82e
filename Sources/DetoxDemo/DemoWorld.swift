import DetoxCheckpoints
import DetoxDatasets
import DetoxFiles
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxPipeline
import DetoxTensor
import DetoxTokenizers
import DetoxTraining
import Foundation

/// Builds the demo's offline world as Hub-style folders: a DialogSum-format dataset, word-level
/// tokenizers in Hugging Face's format, a tiny T5 trained from scratch as the stand-in pretrained
/// base, a tiny ELECTRA reward classifier, and — on separate data and seed — a tiny RoBERTa
/// toxicity evaluator.
public struct DemoWorld: Sendable {
    public let folder: URL
    public var datasetFolder: URL { folder.appendingPathComponent("datasets/dialogsum") }
    public var baseModel: URL { folder.appendingPathComponent("models/tiny-t5") }
    public var rewardModel: URL { folder.appendingPathComponent("models/tiny-electra-offensive") }
    public var evaluatorModel: URL { folder.appendingPathComponent("models/tiny-roberta-hate") }

    public init(folder: URL) { self.folder = folder }

    /// Sizes of the quick (test) and full variants.
    public struct Scale: Sendable {
        public var data: Double
        public var baseSteps: Int
        public var classifierEpochs: Int

        public static let full = Scale(data: 1, baseSteps: 1200, classifierEpochs: 8)
        public static let quick = Scale(data: 0.35, baseSteps: 250, classifierEpochs: 12)
    }

    /// Whether the world has already been built (every folder has its weights).
    public var isBuilt: Bool {
        [baseModel, rewardModel, evaluatorModel].allSatisfy {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path)
        } && FileManager.default.fileExists(atPath: datasetFolder.appendingPathComponent("test.csv").path)
    }

    public func build(seed: UInt64, scale: Scale, log: (String) -> Void) throws {
        let data = DemoData(seed: seed, scale: scale.data)
        let fm = FileManager.default
        try fm.createDirectory(at: datasetFolder, withIntermediateDirectories: true)
        for (name, records) in [("train", data.train), ("validation", data.validation), ("test", data.test)] {
            try AtomicFileWriter.write(
                [UInt8](DialogueDataset(records: records).csvData()),
                to: datasetFolder.appendingPathComponent("\(name).csv"))
        }
        let toxicShare = Double(data.train.filter { $0.summary.contains(" calls ") }.count) / Double(data.train.count)
        log(
            String(
                format: "dataset: %d train / %d validation / %d test dialogues, %.0f%% of training summaries insulting",
                data.train.count, data.validation.count, data.test.count, 100 * toxicShare))

        let words = DemoData.vocabulary
        let t5Vocabulary = try WordTokenizerFile.write(words: words, family: .t5, maxLength: 512, to: baseModel)
        try WordTokenizerFile.write(words: words, family: .bert, maxLength: 128, to: rewardModel)
        try WordTokenizerFile.write(words: words, family: .roberta, maxLength: 128, to: evaluatorModel)

        try trainBase(
            data: data, vocabularySize: (t5Vocabulary + 7) / 8 * 8, steps: scale.baseSteps, seed: seed, log: log)
        try trainClassifier(
            at: rewardModel, modelType: "electra", labels: ["not offensive", "offensive"], texts: data.rewardTexts,
            epochs: scale.classifierEpochs, seed: seed &+ 11, log: log)
        try trainClassifier(
            at: evaluatorModel, modelType: "roberta", labels: ["nothate", "hate"], texts: data.evaluatorTexts,
            epochs: scale.classifierEpochs, seed: seed &+ 23, log: log)
    }

    // MARK: - Base model

    func trainBase(data: DemoData, vocabularySize: Int, steps: Int, seed: UInt64, log: (String) -> Void) throws {
        let configuration = try T5Configuration(
            vocabularySize: vocabularySize, modelDimension: 64, keyValueDimension: 16, feedForwardDimension: 128,
            encoderLayerCount: 2, decoderLayerCount: 2, headCount: 4, relativeAttentionBucketCount: 16,
            relativeAttentionMaxDistance: 64, dropoutRate: 0.05)
        let model = try T5ForConditionalGeneration(configuration: configuration, seed: seed)
        let tokenizer = try Tokenizer.load(from: baseModel)
        let optimizer = try Adam(module: model, learningRate: 3e-3, weightDecay: 0.01, decoupledWeightDecay: true)
        let schedule = try LearningRateSchedule.cosine(warmupSteps: steps / 20, totalSteps: steps)
        var generator = SeededGenerator(seed: seed &+ 3)
        let batchSize = 16
        model.setTraining(true)
        log("training the base T5 (\(model.parameterCount) parameters) from scratch for \(steps) steps")
        var progress = BaseModelProgress(steps: steps)
        for step in 0..<steps {
            // Ctrl-C: stop at a step boundary like the stages do (this model keeps no checkpoint).
            if Interruption.isRequested {
                throw TrainingError.stopped(
                    what: "the demo's base-model training", step: step,
                    saved:
                        "the dataset is saved in \(datasetFolder.path), the base model is not; run the same command to build it again"
                )
            }
            let records = (0..<batchSize).map { _ in data.train[generator.nextInt(below: data.train.count)] }
            let tokens = records.map {
                PromptCompletion(prompt: PromptTemplate.summarize.render($0), completion: $0.summary).tokens(
                    tokenizer: tokenizer, eos: model.eosTokenID, maxPromptLength: 256, maxCompletionLength: 64)
            }
            let loss = try model.supervisedLoss(prompts: tokens.map(\.prompt), targets: tokens.map(\.completion))
            try progress.train(loss, step: step, optimizer: optimizer, schedule: schedule)
            FaultPoint.reach("demo.base.step")
            progress.report(step: step, log: log)
        }
        model.setTraining(false)
        try ModelFolderWriter.write(configuration: configuration, module: model, to: baseModel)
    }

    // MARK: - Classifiers

    func trainClassifier(
        at folder: URL, modelType: String, labels: [String], texts: [LabeledText], epochs: Int, seed: UInt64,
        log: (String) -> Void
    ) throws {
        let tokenizer = try Tokenizer.load(from: folder)
        let vocabularySize = (tokenizer.vocabularySize + 7) / 8 * 8
        let padID = modelType == "roberta" ? 1 : 0
        let positions = modelType == "roberta" ? 130 : 128
        let json = """
            {"model_type": "\(modelType)", "architectures": ["\(modelType == "roberta" ? "Roberta" : "Electra")ForSequenceClassification"],
             "vocab_size": \(vocabularySize), \(modelType == "electra" ? "\"embedding_size\": 32," : "") "hidden_size": 64,
             "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128, "max_position_embeddings": \(positions),
             "type_vocab_size": \(modelType == "roberta" ? 1 : 2), "pad_token_id": \(padID), "hidden_dropout_prob": 0.1,
             "attention_probs_dropout_prob": 0.1, "layer_norm_eps": \(modelType == "roberta" ? "1e-05" : "1e-12"),
             "id2label": {"0": "\(labels[0])", "1": "\(labels[1])"}, "label2id": {"\(labels[0])": 0, "\(labels[1])": 1}}
            """
        let configuration = try BertConfiguration(jsonData: Data(json.utf8))
        var generator = SeededGenerator(seed: seed)
        let classifier = try SequenceClassifierModel.make(configuration: configuration, generator: &generator)
        var parameters = ClassifierTrainer.Parameters()
        parameters.learningRate = 2e-3
        parameters.warmupSteps = 10
        parameters.epochs = epochs
        parameters.batchSize = 16
        parameters.seed = seed
        let trainer = try ClassifierTrainer(classifier: classifier, tokenizer: tokenizer, parameters: parameters)
        let split = texts.count * 4 / 5
        let losses = try trainer.train(Array(texts[..<split]))
        let accuracy = try trainer.accuracy(Array(texts[split...]))
        log(
            String(
                format: "trained %@ (%@ / %@): loss %.3f → %.3f, held-out accuracy %.1f%%", folder.lastPathComponent,
                labels[0], labels[1], losses.first ?? .nan, losses.last ?? .nan, 100 * accuracy))
        try SequenceClassifierModel.save(classifier, to: folder)
    }
}

/// The training step both demos give their base model (trained from scratch): a finite loss,
/// gradients clipped to norm 1, the scheduled optimizer's step; and the mean loss of each fifth of
/// the run for the log.
struct BaseModelProgress {
    let steps: Int
    private var recent: [Float] = []

    init(steps: Int) { self.steps = steps }

    /// Takes one optimizer step on `loss` (0-based `step`), refusing a non-finite loss.
    mutating func train(_ loss: Tensor, step: Int, optimizer: Adam, schedule: LearningRateSchedule) throws {
        guard loss.item.isFinite else {
            throw TrainingError.nonFinite(what: "base model loss", step: step + 1, value: loss.item)
        }
        var grads = try loss.backward()
        optimizer.clipGradientNorm(&grads, maxNorm: 1.0)
        optimizer.applySchedule(schedule)
        try optimizer.step(grads: grads)
        recent.append(loss.item)
    }

    /// Logs the mean loss since the last report after every fifth of the steps.
    mutating func report(step: Int, log: (String) -> Void) {
        guard (step + 1) % Swift.max(1, steps / 5) == 0, !recent.isEmpty else { return }
        log(String(format: "  step %4d  loss %.3f", step + 1, recent.reduce(0, +) / Float(recent.count)))
        recent.removeAll()
    }
}
