import DetoxCheckpoints
import DetoxDatasets
import DetoxDistributed
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
///
/// Data-parallel under `mpirun`: every rank of ``communicator`` builds the same global batches,
/// computes the loss and gradients of its share of each batch's rows (weighted by its share of the
/// batch's target tokens), and one allreduce per optimizer step sums them into the gradient of the
/// single-process loss; every rank then clips by the global norm and takes the same optimizer step,
/// so the parameters stay identical on every rank. Rank 0 alone writes the metrics log, checkpoints
/// and the adapter; a checkpoint holds global state, so a run resumes with any number of ranks.
/// Dropout masks are keyed by each row's place in the global batch (``DetoxTensor/DropoutRows``),
/// so a run with dropout on ends with the same parameters for any number of ranks.
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
    /// The ranks that share each batch (one process unless started by `mpirun`).
    public let communicator: any Communicator
    public private(set) var step = 0
    public private(set) var history: [Record] = []
    /// Where this run's optimizer steps spent their time (validation and checkpoints left out).
    public private(set) var timing = StepTiming()

    /// Wall-clock time of the optimizer steps this process ran, and of their gradient allreduces.
    public struct StepTiming: Sendable, Equatable {
        public var steps = 0
        /// Seconds from a step's first forward pass to the end of its optimizer update.
        public var seconds = 0.0
        /// Seconds inside the gradient allreduce (0 in one process).
        public var allreduceSeconds = 0.0
        /// Bytes each rank contributes to one step's allreduce (0 in one process).
        public var allreduceBytes = 0
    }

    public init(
        model: any LanguageModel, tokenizer: Tokenizer, train: [PromptCompletion], validation: [PromptCompletion]?,
        parameters: Parameters, adapterConfiguration: LoRAConfiguration, outputFolder: URL,
        communicator: any Communicator = SingleProcessCommunicator()
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
        self.communicator = communicator
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
    /// Under several ranks, each takes every `size`-th batch and the sums are reduced.
    public func validationLoss() throws -> Float? {
        guard let validation, !validation.isEmpty else { return nil }
        model.setTraining(false)
        var sums: [Double] = [0, 0] // loss × tokens, tokens
        try Tensor.withNoGrad {
            for (index, start) in stride(from: 0, to: validation.count, by: parameters.batchSize).enumerated()
            where index % communicator.size == communicator.rank {
                let (prompts, targets) = batch(
                    validation[start..<Swift.min(start + parameters.batchSize, validation.count)])
                let count = targets.joined().count
                guard count > 0 else { continue }
                let loss = try model.supervisedLoss(prompts: prompts, targets: targets)
                sums[0] += Double(loss.item) * Double(count)
                sums[1] += Double(count)
            }
        }
        if communicator.size > 1 { try communicator.allreduceSum(&sums) }
        return sums[1] == 0 ? nil : Float(sums[0] / sums[1])
    }

    /// Runs (or, with a checkpoint in the output folder and `resume`, continues) training to
    /// `totalSteps`, calling `progress` after every optimizer step. Writes the final adapter into
    /// `outputFolder/adapter`.
    public func run(resume: Bool = true, progress: (Record) throws -> Void = { _ in }) throws {
        let writes = communicator.isRoot
        if writes { try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true) }
        // Rank 0 decides whether to resume and sends its checkpoint to the other ranks, which may
        // not share its disk (they unpack it into a temporary folder).
        let found = communicator.isRoot && resume && TrainingCheckpoint.exists(at: checkpointFolder)
        let shared = communicator.size > 1 && found ? try TrainingCheckpoint.load(from: checkpointFolder).folder : nil
        if let source = try communicator.broadcastFolder(shared ?? (found ? checkpointFolder : nil)) {
            defer { if !communicator.isRoot { try? FileManager.default.removeItem(at: source) } }
            try restore(from: source)
        }
        try communicator.requireSameSettings("step \(step)", what: "a checkpoint")
        let schedule = try self.schedule
        let log = writes ? try MetricsLog(url: metricsFile, truncateAfterStep: step) : nil
        model.setTraining(true)
        while step < totalSteps {
            let epoch = step / stepsPerEpoch
            let order = self.order(epoch: epoch)
            let firstBatch = (step % stepsPerEpoch) * parameters.gradientAccumulation
            let stepStart = DispatchTime.now().uptimeNanoseconds
            var grads = GradStore()
            var lossSum: Double = 0
            for micro in 0..<parameters.gradientAccumulation {
                let start = ((firstBatch + micro) % batchesPerEpoch) * parameters.batchSize
                let indices = order[start..<Swift.min(start + parameters.batchSize, order.count)]
                let (prompts, targets) = batch(indices.map { train[$0] })
                let share = communicator.share(of: prompts.count)
                if !share.isEmpty {
                    grads.accumulate(
                        try shareGradients(prompts: prompts, targets: targets, share: share, sum: &lossSum))
                }
                try communicator.alignDropoutGenerators(of: model, batchRows: prompts.count)
            }
            let trainable = model.trainableParameters().map(\.parameter)
            let reduceStart = DispatchTime.now().uptimeNanoseconds
            let summed = try communicator.allreduceGradients(&grads, parameters: trainable, extras: [Float(lossSum)])
            if communicator.size > 1 {
                lossSum = Double(summed[0])
                timing.allreduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - reduceStart) / 1e9
                timing.allreduceBytes = (trainable.reduce(0) { $0 + $1.tensor.count } + trainable.count + 1) * 4
            }
            let norm = parameters.maxGradNorm.map { optimizer.clipGradientNorm(&grads, maxNorm: $0) }
            optimizer.applySchedule(schedule)
            let learningRate = optimizer.learningRate
            try optimizer.step(grads: grads)
            step += 1
            timing.steps += 1
            timing.seconds += Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
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
            try log?.append(record)
            try progress(record)
            if last || Interruption.isRequested
                || (parameters.checkpointEvery > 0 && step % parameters.checkpointEvery == 0)
            {
                if writes { try saveCheckpoint() }
            }
            FaultDrill.afterStep(step, rank: communicator.rank)
            if Interruption.isRequested && !last { throw TrainingError.interrupted(step: step) }
        }
        model.setTraining(false)
        if writes {
            try LoRA.save(
                model, configuration: adapterConfiguration, to: outputFolder.appendingPathComponent("adapter"))
        }
    }

    /// The gradients of this rank's `share` of one forward batch, its loss (weighted by the share's
    /// target tokens under several ranks) added to `sum`. Dropout masks are keyed by the rows' places
    /// in the global batch, so they are the same for any number of ranks.
    func shareGradients(prompts: [[Int]], targets: [[Int]], share: Range<Int>, sum: inout Double) throws -> GradStore {
        var loss = try DropoutRows.withGlobalRows(Array(share)) {
            try model.supervisedLoss(prompts: Array(prompts[share]), targets: Array(targets[share]))
        }
        guard loss.item.isFinite else {
            throw TrainingError.nonFinite(what: "training loss", step: step + 1, value: loss.item)
        }
        if communicator.size > 1 {
            // This rank's rows' weight in the batch's token-mean loss.
            let weight = Float(targets[share].joined().count) / Float(Swift.max(1, targets.joined().count))
            loss = loss * weight
        }
        sum += Double(loss.item)
        return try (loss / Float(parameters.gradientAccumulation)).backward()
    }

    func saveCheckpoint() throws {
        let checkpoint = TrainingCheckpoint(
            state: ["step": Double(step)], generators: model.dropoutGenerators(), optimizer: optimizer.state())
        try checkpoint.write(model: model, adapterConfiguration: adapterConfiguration, to: checkpointFolder)
    }

    func restore(from source: URL) throws {
        let (checkpoint, folder) = try TrainingCheckpoint.load(from: source)
        let adapter = TrainingCheckpoint.adapterFolder(of: folder).appendingPathComponent(LoRA.weightsFileName)
        try LoRA.loadWeights(try SafeTensorsFile(url: adapter).tensors(), file: adapter.path, into: model)
        try optimizer.restore(checkpoint.optimizer)
        model.restoreDropoutGenerators(checkpoint.generators)
        step = Int(checkpoint.state["step"] ?? 0)
        if communicator.isRoot { history = try MetricsLog.read(metricsFile).filter { $0.step <= step } }
    }
}
