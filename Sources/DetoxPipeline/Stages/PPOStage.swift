import DetoxCheckpoints
import DetoxDatasets
import DetoxFiles
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTokenizers
import DetoxTraining
import Foundation

/// `detox ppo`: detoxify a policy against a classifier's reward with PPO (TRL semantics), with
/// checkpoints, exact resume and a JSON-lines log of TRL's statistics.
///
/// The starting policy is the base model with the fine-tuned (SFT) adapter merged in, plus a fresh
/// PPO adapter; the KL reference is that same network with the PPO adapter switched off — i.e. the
/// fine-tuned model. TRL instead disables *every* adapter, so its reference is the base model
/// without the fine-tuning (trl#495, #536); that is only right for a freshly initialised adapter.
public enum PPOStage {
    /// Everything a PPO run is told apart from its files. The defaults here (and TRL's in
    /// ``PPOConfiguration``) are the only ones: a recipe's `ppo` section and the command's flags
    /// change fields of a `Settings()`.
    public struct Settings: Sendable, Equatable {
        /// The classifier label whose score is the reward (`nothate`, `not offensive`).
        public var rewardLabel = "nothate"
        public var rewardOutput = RewardModel.Output.logit
        /// Score `query + " " + response` instead of the response alone.
        public var rewardIncludesQuery = false
        public var template = PromptTemplate.summarize
        /// The same adapter shape as fine-tuning's.
        public var adapter = FineTuneStage.Settings().adapter
        public var quantization = BaseQuantization.none
        public var doubleQuantization = true
        /// TRL's defaults with the course lab's batches: 16 prompts a step in mini-batches of 4.
        public var ppo = PPOConfiguration(batchSize: 16, miniBatchSize: 4)
        public var steps = 10
        /// Generation: pure sampling (top_k 0, top_p 1) with EOS allowed after `minNewTokens`.
        public var minNewTokens = 5
        /// The course lab's response lengths, 100..<400 tokens.
        public var lengthSampler = LengthSampler.courseLab
        public var generationBatchSize = 4
        public var maxSourceLength = 512
        public var dialogueLength: ClosedRange<Int>?
        public var checkpointEvery = 5
        /// What a malformed data row does: stop the run naming its file and line (`.fail`), or be
        /// left out and counted in the log (`.skip`, the `--skip-bad-rows` flag).
        public var malformedRows = DialogueDataset.MalformedRowPolicy.fail

        public init() {}
    }

    /// The files of a run, its ``Settings`` (`options.ppo` reads and writes `options.settings.ppo`)
    /// and whether to continue from the output folder's checkpoint.
    public struct Options: StageOptions, Sendable {
        public var model: URL
        /// Adapters merged into the base before PPO (the SFT adapter).
        public var baseAdapters: [URL] = []
        public var rewardModel: URL
        public var dataFile: URL
        public var outputFolder: URL
        public var settings: Settings
        public var resume = true

        public init(model: URL, rewardModel: URL, dataFile: URL, outputFolder: URL, settings: Settings = Settings()) {
            self.model = model
            self.rewardModel = rewardModel
            self.dataFile = dataFile
            self.outputFolder = outputFolder
            self.settings = settings
        }
    }

    public struct Result: Sendable {
        public var adapterFolder: URL
        public var logFile: URL
        public var steps: Int
        public var firstRewardMean: Double?
        public var lastRewardMean: Double?
    }

    static let baseAdaptersFile = "base_adapters.json"

    /// Loads the language model of `model` with `baseAdapters` merged in (optionally re-quantized).
    public static func loadMergedBase(
        model: URL, baseAdapters: [URL], quantization: BaseQuantization, doubleQuantization: Bool
    ) throws -> (any LanguageModel, Tokenizer) {
        let (base, tokenizer, _) = try PolicyLoading.load(folder: model)
        for adapter in baseAdapters {
            try LoRA.load(from: adapter, into: base)
            try LoRA.mergeAndUnload(base)
        }
        try PolicyLoading.quantize(base, as: quantization, doubleQuantization: doubleQuantization)
        return (base, tokenizer)
    }

    /// The adapters an earlier PPO run merged into its base (what evaluation must rebuild).
    public static func baseAdapters(ofRun folder: URL) -> [URL] {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(baseAdaptersFile)),
            let paths = try? JSONDecoder().decode([String].self, from: data)
        else { return [] }
        return paths.map { URL(fileURLWithPath: $0) }
    }

    public static func run(_ options: Options, log: (String) -> Void = { _ in }) throws -> Result {
        let claim = try FolderLock(claiming: options.outputFolder)
        defer { withExtendedLifetime(claim) {} }
        let fm = FileManager.default
        try fm.createDirectory(at: options.outputFolder, withIntermediateDirectories: true)
        var dataset = try DataLoading.dialogues(options.dataFile, options.malformedRows, log: log)
        if let range = options.dialogueLength { dataset = dataset.filtered(dialogueLength: range) }
        guard dataset.count >= options.ppo.batchSize else {
            throw DetoxError.invalidSetting(
                name: "dataset",
                reason: "has \(dataset.count) dialogues, fewer than batch_size \(options.ppo.batchSize)")
        }

        let (base, tokenizer) = try loadMergedBase(
            model: options.model, baseAdapters: options.baseAdapters, quantization: options.quantization,
            doubleQuantization: options.doubleQuantization)
        var adapter = try options.adapter.resolvingTargets(modelType: base.modelType)
        adapter.baseModelNameOrPath = adapter.baseModelNameOrPath ?? options.model.path
        var generator = SeededGenerator(seed: options.ppo.seed)
        try LoRA.apply(adapter, to: base, generator: &generator)
        let policy = base.withValueHead(seed: options.ppo.seed &+ 7)
        let trainer = try PPOTrainer(policy: policy, configuration: options.ppo)

        let classifier = try SequenceClassifierModel.load(folder: options.rewardModel)
        let reward = try RewardModel(
            classifier: classifier, tokenizer: try Tokenizer.load(from: options.rewardModel),
            label: options.rewardLabel, output: options.rewardOutput)

        let checkpointFolder = options.outputFolder.appendingPathComponent("checkpoint")
        let logFile = options.outputFolder.appendingPathComponent("ppo_log.jsonl")
        var sampling = SeededGenerator(seed: options.ppo.seed &+ 1)
        if options.resume, TrainingCheckpoint.exists(at: checkpointFolder) {
            let (checkpoint, folder) = try TrainingCheckpoint.load(from: checkpointFolder)
            let adapterFile = TrainingCheckpoint.adapterFolder(of: folder).appendingPathComponent(LoRA.weightsFileName)
            try LoRA.loadWeights(try SafeTensorsFile(url: adapterFile).tensors(), file: adapterFile.path, into: base)
            try policy.valueHead.load(valueHeadTensors(checkpoint.extraTensors))
            policy.restoreDropoutGenerators(checkpoint.generators)
            try trainer.restore(
                state: checkpoint.state, generator: checkpoint.generators["ppo.shuffle"] ?? trainer.generator,
                optimizerState: checkpoint.optimizer)
            sampling = checkpoint.generators["ppo.sampling"] ?? sampling
            log("resuming PPO at step \(trainer.stepCount)")
        }
        let metrics = try MetricsLog(url: logFile, truncateAfterStep: trainer.stepCount)
        let adapterPaths = options.baseAdapters.map(\.path)
        try AtomicFileWriter.write(
            [UInt8](try JSONEncoder().encode(adapterPaths)),
            to: options.outputFolder.appendingPathComponent(baseAdaptersFile))

        let c = options.ppo
        var firstReward: Double?
        var lastReward: Double?
        let clock = ProgressClock(total: options.steps, startingAt: trainer.stepCount)
        while trainer.stepCount < options.steps {
            let step = trainer.stepCount
            // Prompts of this step: a seeded shuffle per pass over the data.
            let perEpoch = dataset.count / c.batchSize
            let epoch = step / perEpoch
            let position = step % perEpoch
            var order = Array(0..<dataset.count)
            var shuffle = SeededGenerator(seed: c.seed &+ 1000 &+ UInt64(epoch))
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, shuffle.nextInt(below: i + 1)) }
            let records = order[(position * c.batchSize)..<((position + 1) * c.batchSize)].map { dataset.records[$0] }
            let prompts = records.map { options.template.render($0) }
            let queries = prompts.map { prompt -> [Int] in
                tokenizer.encode(prompt, pair: nil, truncation: Truncation(maxLength: options.maxSourceLength)).ids
            }

            // Rollouts: pure sampling, a fresh max length per generation batch (TRL's LengthSampler).
            var responses: [[Int]] = []
            for start in stride(from: 0, to: queries.count, by: options.generationBatchSize) {
                let chunk = Array(queries[start..<Swift.min(start + options.generationBatchSize, queries.count)])
                let generation = GenerationConfig(
                    doSample: true, topK: 0, topP: 1, minNewTokens: options.minNewTokens,
                    maxNewTokens: options.lengthSampler.sample(&sampling))
                responses += try base.generateResponses(
                    queries: chunk, configuration: generation, generator: &sampling)
            }
            let texts = responses.map { tokenizer.decode(base.generatedTokens(of: $0), skipSpecialTokens: true) }
            let rewardTexts = options.rewardIncludesQuery ? zip(prompts, texts).map { $0 + " " + $1 } : texts
            let scores = try reward.scores(rewardTexts)

            var stats = try trainer.step(PPOBatch(queries: queries, responses: responses, scores: scores))
            stats["step"] = Double(trainer.stepCount)
            try metrics.append(stats)
            if firstReward == nil { firstReward = stats["env/reward_mean"] }
            lastReward = stats["env/reward_mean"]
            log(
                String(
                    format: "step %3d/%d  reward %+.4f  kl %+.4f  kl_coef %.4f  policy %+.4f  value %.4f  (%@)",
                    trainer.stepCount, options.steps, stats["env/reward_mean"] ?? .nan, stats["objective/kl"] ?? .nan,
                    stats["objective/kl_coef"] ?? .nan, stats["ppo/loss/policy"] ?? .nan,
                    stats["ppo/loss/value"] ?? .nan,
                    clock.describe(done: trainer.stepCount)))
            let interrupted = Interruption.isRequested && trainer.stepCount < options.steps
            if trainer.stepCount == options.steps || interrupted
                || (options.checkpointEvery > 0 && trainer.stepCount % options.checkpointEvery == 0)
            {
                var generators = policy.dropoutGenerators()
                generators["ppo.shuffle"] = trainer.generator
                generators["ppo.sampling"] = sampling
                let checkpoint = TrainingCheckpoint(
                    state: trainer.checkpointState, generators: generators, optimizer: trainer.optimizer.state(),
                    extraTensors: valueHeadState(policy))
                try checkpoint.write(model: base, adapterConfiguration: adapter, to: checkpointFolder)
            }
            if interrupted { throw TrainingError.interrupted(step: trainer.stepCount) }
        }
        let adapterFolder = options.outputFolder.appendingPathComponent("adapter")
        try LoRA.save(base, configuration: adapter, to: adapterFolder)
        try SafeTensors.write(
            valueHeadState(policy), metadata: ["format": "pt"],
            to: options.outputFolder.appendingPathComponent("value_head.safetensors"))
        return Result(
            adapterFolder: adapterFolder, logFile: logFile, steps: trainer.stepCount, firstRewardMean: firstReward,
            lastRewardMean: lastReward)
    }

    /// The value head under TRL's names (`v_head.summary.weight`, `v_head.summary.bias`).
    static func valueHeadState(_ policy: any PolicyLanguageModel) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: policy.valueHead.stateDict().map { ("v_head.\($0.key)", $0.value) })
    }

    static func valueHeadTensors(_ tensors: [String: Tensor]) -> [String: Tensor] {
        Dictionary(
            uniqueKeysWithValues: tensors.compactMap { key, value in
                key.hasPrefix("v_head.") ? (String(key.dropFirst("v_head.".count)), value) : nil
            })
    }
}
