import DetoxCheckpoints
import DetoxDatasets
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import DetoxTokenizers
import Foundation

/// Teacher-forced fine-tuning of a language model's trainable parameters (its LoRA adapters) on
/// prompt/completion pairs (dialogues and their summaries in the course lab, as its `Seq2SeqTrainer`
/// step; prompts and continuations for a decoder-only model, loss on the completion only), with AdamW, warmup and decay,
/// gradient clipping and accumulation, periodic validation loss, atomic checkpoints and exact resume.
public final class SupervisedTrainer {
    /// Settings of a fine-tuning run (transformers `TrainingArguments` names in the docs).
    public struct Parameters: Sendable, Codable, Equatable {
        /// Peak learning rate (`learning_rate`).
        public var learningRate = 1e-3
        /// AdamW weight decay (`weight_decay`).
        public var weightDecay = 0.0
        /// Passes over the training set (`num_train_epochs`), used when `maxSteps` is nil.
        public var epochs = 1
        /// Optimizer steps to run (`max_steps`); overrides `epochs`.
        public var maxSteps: Int?
        /// Examples per forward pass (`per_device_train_batch_size`).
        public var batchSize = 8
        /// Forward passes per optimizer step (`gradient_accumulation_steps`).
        public var gradientAccumulation = 1
        /// Linear warmup steps (`warmup_steps`).
        public var warmupSteps = 0
        /// Decay after warmup: `"linear"`, `"cosine"` or `"constant"` (`lr_scheduler_type`).
        public var schedule = "linear"
        /// Global gradient-norm clip (`max_grad_norm`); nil for none.
        public var maxGradNorm: Float? = 1.0
        /// Validation loss every this many optimizer steps (and at the end); 0 for only at the end.
        public var evaluateEvery = 0
        /// Checkpoint every this many optimizer steps (and at the end); 0 for only at the end.
        public var checkpointEvery = 0
        /// Tokens kept of each prompt and each target summary.
        public var maxSourceLength = 512
        public var maxTargetLength = 128
        /// Seed of the example order.
        public var seed: UInt64 = 42

        public init() {}

        func validate() throws {
            guard learningRate > 0, learningRate.isFinite else {
                throw TrainingError.invalidSetting(
                    name: "learning rate", reason: "must be a positive number, got \(learningRate)")
            }
            guard batchSize > 0 else {
                throw TrainingError.invalidSetting(name: "batch size", reason: "must be positive, got \(batchSize)")
            }
            guard gradientAccumulation > 0 else {
                throw TrainingError.invalidSetting(name: "gradient accumulation", reason: "must be positive")
            }
            for (name, value) in [("max source length", maxSourceLength), ("max target length", maxTargetLength)]
            where value < 1 {
                throw TrainingError.invalidSetting(name: name, reason: "must be at least 1 token, got \(value)")
            }
            for (name, value) in [("evaluate every", evaluateEvery), ("checkpoint every", checkpointEvery)]
            where value < 0 {
                throw TrainingError.invalidSetting(
                    name: name, reason: "must not be negative (0: only at the end), got \(value)")
            }
            guard warmupSteps >= 0 else {
                throw TrainingError.invalidSetting(
                    name: "warmup steps", reason: "must not be negative, got \(warmupSteps)")
            }
            guard epochs > 0 || maxSteps != nil else {
                throw TrainingError.invalidSetting(name: "epochs", reason: "must be positive")
            }
            if let maxSteps, maxSteps <= 0 {
                throw TrainingError.invalidSetting(name: "max steps", reason: "must be positive, got \(maxSteps)")
            }
            guard ["linear", "cosine", "constant"].contains(schedule) else {
                throw TrainingError.invalidSetting(
                    name: "schedule", reason: "expected linear, cosine or constant, got \(schedule)")
            }
        }
    }

    /// One line of the metrics log.
    public struct Record: Sendable, Codable, Equatable {
        public var step: Int
        public var epoch: Double
        public var loss: Float
        public var learningRate: Double
        public var gradNorm: Float?
        public var evalLoss: Float?

        enum CodingKeys: String, CodingKey {
            case step, epoch, loss
            case learningRate = "learning_rate"
            case gradNorm = "grad_norm"
            case evalLoss = "eval_loss"
        }
    }

    public let model: any LanguageModel
    public let tokenizer: Tokenizer
    /// The training examples (a dialogue set becomes examples through its prompt template:
    /// ``DialogueDataset/examples(template:)``).
    public let train: [PromptCompletion]
    public let validation: [PromptCompletion]?
    public let parameters: Parameters
    public let adapterConfiguration: LoRAConfiguration
    public let optimizer: Adam
    /// Where checkpoints (`checkpoint/`), the final adapter (`adapter/`) and `metrics.jsonl` go.
    public let outputFolder: URL
    public private(set) var step = 0
    public private(set) var history: [Record] = []

    public init(
        model: any LanguageModel, tokenizer: Tokenizer, train: [PromptCompletion], validation: [PromptCompletion]?,
        parameters: Parameters, adapterConfiguration: LoRAConfiguration, outputFolder: URL
    ) throws {
        try parameters.validate()
        guard !train.isEmpty else {
            throw TrainingError.invalidSetting(name: "training set", reason: "is empty")
        }
        guard !model.trainableParameters().isEmpty else {
            throw TrainingError.invalidSetting(name: "model", reason: "has no trainable parameters (apply LoRA first)")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.train = train
        self.validation = validation
        self.parameters = parameters
        self.adapterConfiguration = adapterConfiguration
        self.outputFolder = outputFolder
        self.optimizer = try Adam(
            module: model, learningRate: parameters.learningRate, weightDecay: parameters.weightDecay,
            decoupledWeightDecay: true)
    }

    var batchesPerEpoch: Int { (train.count + parameters.batchSize - 1) / parameters.batchSize }
    var stepsPerEpoch: Int { Swift.max(1, batchesPerEpoch / parameters.gradientAccumulation) }
    public var totalSteps: Int { parameters.maxSteps ?? stepsPerEpoch * parameters.epochs }
    public var checkpointFolder: URL { outputFolder.appendingPathComponent("checkpoint") }
    public var metricsFile: URL { outputFolder.appendingPathComponent("metrics.jsonl") }

    var schedule: LearningRateSchedule {
        get throws {
            switch parameters.schedule {
            case "cosine": return try .cosine(warmupSteps: parameters.warmupSteps, totalSteps: totalSteps)
            case "constant": return try .constant(warmupSteps: parameters.warmupSteps)
            default: return try .linear(warmupSteps: parameters.warmupSteps, totalSteps: totalSteps)
            }
        }
    }

    /// The example order of `epoch`: a seeded shuffle, the same on every run and after resuming.
    func order(epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: parameters.seed &+ UInt64(epoch) &* 0x9E37_79B9)
        var indices = Array(0..<train.count)
        for i in stride(from: indices.count - 1, to: 0, by: -1) { indices.swapAt(i, generator.nextInt(below: i + 1)) }
        return indices
    }

    /// The examples' prompts and completions as unpadded token rows (the model packs them).
    func batch(_ examples: some Collection<PromptCompletion>) -> (prompts: [[Int]], targets: [[Int]]) {
        let rows = examples.map {
            $0.tokens(
                tokenizer: tokenizer, eos: model.eosTokenID, maxPromptLength: parameters.maxSourceLength,
                maxCompletionLength: parameters.maxTargetLength)
        }
        return (rows.map(\.prompt), rows.map(\.completion))
    }

    /// Mean loss over the validation set (dropout off, no gradients), weighted by target tokens.
    public func validationLoss() throws -> Float? {
        guard let validation, !validation.isEmpty else { return nil }
        model.setTraining(false)
        var total: Double = 0
        var tokens = 0
        try Tensor.withNoGrad {
            for start in stride(from: 0, to: validation.count, by: parameters.batchSize) {
                let (prompts, targets) = batch(
                    validation[start..<Swift.min(start + parameters.batchSize, validation.count)])
                let count = targets.joined().count
                guard count > 0 else { continue }
                let loss = try model.supervisedLoss(prompts: prompts, targets: targets)
                total += Double(loss.item) * Double(count)
                tokens += count
            }
        }
        return tokens == 0 ? nil : Float(total / Double(tokens))
    }

    /// Runs (or, with a checkpoint in the output folder and `resume`, continues) training to
    /// `totalSteps`, calling `progress` after every optimizer step. Writes the final adapter into
    /// `outputFolder/adapter`.
    public func run(resume: Bool = true, progress: (Record) throws -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        if resume, TrainingCheckpoint.exists(at: checkpointFolder) { try restore() }
        let schedule = try self.schedule
        let log = try MetricsLog(url: metricsFile, truncateAfterStep: step)
        model.setTraining(true)
        while step < totalSteps {
            let epoch = step / stepsPerEpoch
            let order = self.order(epoch: epoch)
            let firstBatch = (step % stepsPerEpoch) * parameters.gradientAccumulation
            var grads = GradStore()
            var lossSum: Double = 0
            for micro in 0..<parameters.gradientAccumulation {
                let start = ((firstBatch + micro) % batchesPerEpoch) * parameters.batchSize
                let indices = order[start..<Swift.min(start + parameters.batchSize, order.count)]
                let (prompts, targets) = batch(indices.map { train[$0] })
                let loss = try model.supervisedLoss(prompts: prompts, targets: targets)
                guard loss.item.isFinite else {
                    throw TrainingError.nonFinite(what: "training loss", step: step + 1, value: loss.item)
                }
                lossSum += Double(loss.item)
                grads.accumulate(try (loss / Float(parameters.gradientAccumulation)).backward())
            }
            let norm = parameters.maxGradNorm.map { optimizer.clipGradientNorm(&grads, maxNorm: $0) }
            optimizer.applySchedule(schedule)
            let learningRate = optimizer.learningRate
            try optimizer.step(grads: grads)
            step += 1
            var record = Record(
                step: step, epoch: Double(step) / Double(stepsPerEpoch),
                loss: Float(lossSum / Double(parameters.gradientAccumulation)),
                learningRate: learningRate, gradNorm: norm, evalLoss: nil)
            let last = step == totalSteps
            if last || (parameters.evaluateEvery > 0 && step % parameters.evaluateEvery == 0) {
                record.evalLoss = try validationLoss()
                model.setTraining(true)
            }
            history.append(record)
            try log.append(record)
            try progress(record)
            if last || Interruption.isRequested
                || (parameters.checkpointEvery > 0 && step % parameters.checkpointEvery == 0)
            {
                try saveCheckpoint()
            }
            if Interruption.isRequested && !last { throw TrainingError.interrupted(step: step) }
        }
        model.setTraining(false)
        try LoRA.save(model, configuration: adapterConfiguration, to: outputFolder.appendingPathComponent("adapter"))
    }

    func saveCheckpoint() throws {
        let checkpoint = TrainingCheckpoint(
            state: ["step": Double(step)], generators: model.dropoutGenerators(), optimizer: optimizer.state())
        try checkpoint.write(model: model, adapterConfiguration: adapterConfiguration, to: checkpointFolder)
    }

    func restore() throws {
        let (checkpoint, folder) = try TrainingCheckpoint.load(from: checkpointFolder)
        let adapter = TrainingCheckpoint.adapterFolder(of: folder).appendingPathComponent(LoRA.weightsFileName)
        try LoRA.loadWeights(try SafeTensorsFile(url: adapter).tensors(), file: adapter.path, into: model)
        try optimizer.restore(checkpoint.optimizer)
        model.restoreDropoutGenerators(checkpoint.generators)
        step = Int(checkpoint.state["step"] ?? 0)
        history = try MetricsLog.read(metricsFile).filter { $0.step <= step }
    }
}
