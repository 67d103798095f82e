import DetoxCheckpoints
import DetoxDatasets
import DetoxDistributed
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
/// A full policy (``PolicyKind/full``, TRL's GPT-Neo example) trains every weight of that merged
/// model against a frozen copy of it, the first ``Settings/numSharedLayers`` blocks shared and frozen
/// (`create_reference_model`); its checkpoints and result hold the whole model.
///
/// The prompts are DialogSum dialogues rendered by the template (the T5 path, `prompts` `nil`) or
/// a ``PromptSource`` read as they are (TRL's toxicity example for decoder-only models:
/// RealToxicityPrompts' toxic rows, the first 80% of them, each cut to a drawn 30–40 tokens).
/// The same loop trains either kind of policy; the model family only decides how queries and
/// responses are packed (``PolicyLanguageModel``).
///
/// A response is never empty: every rollout generates at least one token (the response length
/// range starts at 1 or more), and a response that is only an EOS is kept, scored as the empty
/// text. TRL's example, whose pad token is its EOS, strips trailing pads and so can be left with an
/// empty response that its forward pass cannot take.
///
/// Data-parallel under `mpirun`: each rank generates and scores a contiguous share of each step's
/// generation batches, sampling from its own stream (``DetoxDistributed/Communicator/samplingSeed(_:)``
/// of the run's sampling seed), and every rank receives the whole batch before the step, which
/// ``PPOTrainer`` shares between the ranks. Rank 0 alone writes the log, checkpoints and result; a
/// checkpoint holds every rank's sampling stream, so a run resumes with any number of ranks.
public enum PPOStage {
    /// Which parameters PPO trains.
    public enum PolicyKind: String, Sendable, Codable, CaseIterable {
        /// A LoRA adapter on the frozen (optionally 4-bit) base; the reference is the adapter off.
        case lora
        /// Every parameter, with a frozen copy as the reference (TRL's GPT-Neo example).
        case full
    }

    /// The share of RealToxicityPrompts' filtered rows held out, as TRL's example's
    /// `train_test_split(test_size=0.2, shuffle=False)`; PPO reads the rows before it.
    public static let realToxicityTestShare = 0.2

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
        /// Where the prompts come from: `nil` reads dialogues and renders them with ``template``;
        /// a source reads prompts as they are (decoder-only detoxification).
        public var prompts: PromptSource?
        /// Tokens kept of each prompt, one length drawn per prompt in file order (TRL's
        /// `LengthSampler(30, 40)` over RealToxicityPrompts); `nil` keeps up to ``maxSourceLength``.
        public var queryLengths: LengthSampler?
        public var policy = PolicyKind.lora
        /// With a full policy, the first layers shared with (and frozen in) the reference, as TRL's
        /// `create_reference_model(model, num_shared_layers:)`; `nil` shares none.
        public var numSharedLayers: Int?
        /// Generate rollouts greedily instead of sampling them (the lengths are still drawn): the same
        /// rollouts for every number of ranks, for checking a data-parallel run against one process.
        public var greedyRollouts = false

        /// The T5 summarization defaults: dialogues, the course lab's response lengths.
        public init() {}

        /// The defaults for prompts from `source`, those of TRL's toxicity example: responses of
        /// `LengthSampler(20, 30)` tokens with EOS allowed at once (`min_length -1`), one length per
        /// response, and RealToxicityPrompts cut to `LengthSampler(30, 40)` tokens.
        public init(prompts source: PromptSource) {
            prompts = source
            lengthSampler = .toxicityResponses
            minNewTokens = 0
            queryLengths = source == .realToxicityPrompts ? .toxicityQueries : nil
        }
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
        /// The trained adapter (`adapter/`, PEFT format) or, for a full policy, the trained model
        /// (`model/`, a Hugging Face folder); the value head is beside it in `value_head.safetensors`.
        public var adapterFolder: URL
        public var logFile: URL
        public var steps: Int
        public var firstRewardMean: Double?
        public var lastRewardMean: Double?
    }

    static let baseAdaptersFile = "base_adapters.json"
    /// The folder of a full policy's trained model inside a run folder.
    public static let fullModelFolder = "model"
    /// The rollout sampler's key among a checkpoint's generators.
    static let samplingGeneratorKey = "ppo.sampling"

    /// Loads the language model of `model` with `baseAdapters` merged in (optionally re-quantized).
    public static func loadMergedBase(
        model: URL, baseAdapters: [URL], quantization: BaseQuantization, doubleQuantization: Bool
    ) throws -> (any LanguageModel, Tokenizer) {
        let (base, tokenizer, _) = try PolicyLoading.load(folder: model)
        for adapter in baseAdapters {
            try LoRA.load(from: adapter, into: base, modelType: base.modelType)
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

    public static func run(_ options: Options, log rootLog: (String) -> Void = { _ in }) throws -> Result {
        try DistributedRun.claiming(options.outputFolder, log: rootLog) { try run(options, world: $0, log: $1) }
    }

    static func run(_ options: Options, world: any Communicator, log: (String) -> Void) throws -> Result {
        // Zero steps would save an untrained adapter and report success.
        for (name, value) in [("steps", options.steps), ("max source length", options.maxSourceLength)] where value < 1
        {
            throw DetoxError.invalidSetting(name: name, reason: "must be at least 1, got \(value)")
        }
        guard options.checkpointEvery >= 0 else {
            throw DetoxError.invalidSetting(
                name: "checkpoint every",
                reason: "must not be negative (0: only at the end), got \(options.checkpointEvery)")
        }
        guard options.policy == .lora || options.quantization == .none else {
            throw DetoxError.invalidSetting(
                name: "quantize", reason: "a full policy trains every weight, which cannot stay 4-bit; use none")
        }
        if world.isRoot {
            try FileManager.default.createDirectory(at: options.outputFolder, withIntermediateDirectories: true)
        }
        let prompts = try Prompts.load(options, log: log)
        guard prompts.count >= options.ppo.batchSize else {
            throw DetoxError.invalidSetting(
                name: "dataset",
                reason: "has \(prompts.count) prompts, fewer than batch_size \(options.ppo.batchSize)")
        }
        var described = options.settings
        described.adapter.otherFields = [:] // a dictionary: its order differs between processes
        try world.requireSameSettings(
            DistributedRun.fingerprint(
                described, options.model.path, options.baseAdapters.map(\.path), options.rewardModel.path,
                prompts.count),
            what: "PPO settings")
        // The reward model first: a label it lacks stops the run before the policy loads.
        let reward = try RewardModel(
            classifier: try SequenceClassifierModel.load(folder: options.rewardModel),
            tokenizer: try Tokenizer.load(from: options.rewardModel), label: options.rewardLabel,
            output: options.rewardOutput)

        let (base, tokenizer) = try loadMergedBase(
            model: options.model, baseAdapters: options.baseAdapters, quantization: options.quantization,
            doubleQuantization: options.doubleQuantization)
        var adapter = try options.adapter.resolvingTargets(modelType: base.modelType)
        adapter.baseModelNameOrPath = adapter.baseModelNameOrPath ?? options.model.path
        let reference: PPOReferencePolicy
        switch options.policy {
        case .lora:
            var generator = SeededGenerator(seed: options.ppo.seed)
            try LoRA.apply(adapter, to: base, generator: &generator)
            reference = .adapterDisabled
        case .full:
            reference = .frozenCopy(sharedLayers: options.numSharedLayers)
        }
        let policy = base.withValueHead(seed: options.ppo.seed &+ 7)
        let trainer = try PPOTrainer(
            policy: policy, reference: reference, configuration: options.ppo, communicator: world)
        let weights: CheckpointWeights =
            options.policy == .lora ? .adapter(adapter) : .fullModel(copyingFilesFrom: options.model)

        let checkpointFolder = options.outputFolder.appendingPathComponent("checkpoint")
        let logFile = options.outputFolder.appendingPathComponent("ppo_log.jsonl")
        let samplingSeed = world.samplingSeed(options.ppo.seed &+ 1)
        var sampling = SeededGenerator(seed: samplingSeed)
        // Rank 0 decides whether to resume and sends its checkpoint to the other ranks, which may
        // not share its disk.
        let resuming = world.isRoot && options.resume && TrainingCheckpoint.exists(at: checkpointFolder)
        if world.isRoot {
            try runSettings(options, adapter: adapter).check(folder: options.outputFolder, resuming: resuming)
        }
        let shared = world.size > 1 && resuming ? try TrainingCheckpoint.load(from: checkpointFolder).folder : nil
        if let source = try world.broadcastFolder(shared ?? (resuming ? checkpointFolder : nil)) {
            defer { if !world.isRoot { try? FileManager.default.removeItem(at: source) } }
            let checkpoint = try trainer.resume(from: source)
            // A rank the checkpoint has no stream for (more ranks than wrote it) starts one from its
            // seed and the step, so it does not draw again what it drew at step 0.
            sampling =
                checkpoint.generators[samplingGeneratorKey(rank: world.rank)]
                ?? SeededGenerator(seed: samplingSeed &+ UInt64(trainer.stepCount) &* 0xD1B5_4A32_D192_ED03)
            log("resuming PPO at step \(trainer.stepCount)")
        }
        try world.requireSameSettings("step \(trainer.stepCount)", what: "a checkpoint")
        let metrics = world.isRoot ? try MetricsLog(url: logFile, truncateAfterStep: trainer.stepCount) : nil
        if world.isRoot {
            try AtomicFileWriter.write(
                [UInt8](try JSONEncoder().encode(options.baseAdapters.map(\.path))),
                to: options.outputFolder.appendingPathComponent(baseAdaptersFile))
        }

        let c = options.ppo
        var firstReward: Double?
        var lastReward: Double?
        let firstStep = trainer.stepCount
        let clock = ProgressClock(total: options.steps, startingAt: firstStep)
        while trainer.stepCount < options.steps {
            let step = trainer.stepCount
            // Prompts of this step: a seeded shuffle per pass over the data.
            let perEpoch = prompts.count / c.batchSize
            let epoch = step / perEpoch
            let position = step % perEpoch
            var order = Array(0..<prompts.count)
            var shuffle = SeededGenerator(seed: c.seed &+ 1000 &+ UInt64(epoch))
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, shuffle.nextInt(below: i + 1)) }
            let rows = Array(order[(position * c.batchSize)..<((position + 1) * c.batchSize)])
            let (promptTexts, queries) = try prompts.queries(rows, tokenizer: tokenizer)
            // This rank's rows: whole generation batches, so each is the one a single process generates.
            let perBatch = Swift.max(1, options.generationBatchSize)
            let batches = world.share(of: (queries.count + perBatch - 1) / perBatch)
            let own =
                Swift.min(
                    batches.lowerBound * perBatch, queries.count)..<Swift.min(
                    batches.upperBound * perBatch, queries.count)
            let responses: [[Int]]
            do {
                responses = try rollouts(Array(queries[own]), model: base, options: options, generator: &sampling)
            } catch ModelError.nonFiniteLogits(let position, _, let value) {
                throw TrainingError.nonFinite(
                    what: "PPO: the policy's logit (token \(position) of a response)", step: step + 1, value: value)
            }
            if let row = responses.firstIndex(where: \.isEmpty) {
                throw DetoxError.invalidSetting(
                    name: "rollout", reason: "step \(step + 1), row \(own.lowerBound + row): no token generated")
            }
            let texts = responses.map { tokenizer.decode(base.generatedTokens(of: $0), skipSpecialTokens: true) }
            let rewardTexts =
                options.rewardIncludesQuery ? zip(promptTexts[own], texts).map { $0 + " " + $1 } : texts
            let scores = own.isEmpty ? [] : try reward.scores(rewardTexts)
            if let bad = scores.firstIndex(where: { !$0.isFinite }) {
                throw TrainingError.nonFinite(
                    what:
                        "PPO: the reward of response \(own.lowerBound + bad + 1) (from \(options.rewardModel.lastPathComponent))",
                    step: step + 1, value: scores[bad])
            }
            let gathered = try world.allGatherConcatenated([
                RankRollout(responses: responses, scores: scores, sampling: sampling)
            ])

            var stats = try trainer.step(
                PPOBatch(
                    queries: queries, responses: gathered.flatMap(\.responses), scores: gathered.flatMap(\.scores)))
            stats["step"] = Double(trainer.stepCount)
            try metrics?.append(stats)
            if firstReward == nil { firstReward = stats["env/reward_mean"] }
            lastReward = stats["env/reward_mean"]
            log(
                String(
                    format: "step %3d/%d  reward %+.4f  kl %+.4f  kl_coef %.4f  policy %+.4f  value %.4f  (%@)%@",
                    trainer.stepCount, options.steps, stats["env/reward_mean"] ?? .nan, stats["objective/kl"] ?? .nan,
                    stats["objective/kl_coef"] ?? .nan, stats["ppo/loss/policy"] ?? .nan,
                    stats["ppo/loss/value"] ?? .nan,
                    clock.describe(done: trainer.stepCount), DistributedRun.ranks(world)))
            let interrupted = Interruption.isRequested && trainer.stepCount < options.steps
            if world.isRoot
                && (trainer.stepCount == options.steps || interrupted
                    || (options.checkpointEvery > 0 && trainer.stepCount % options.checkpointEvery == 0))
            {
                var streams: [String: SeededGenerator] = [:]
                for (rank, part) in gathered.enumerated() { streams[samplingGeneratorKey(rank: rank)] = part.sampling }
                try trainer.writeCheckpoint(to: checkpointFolder, weights: weights, generators: streams)
            }
            FaultDrill.afterStep(trainer.stepCount, rank: world.rank)
            if interrupted { throw TrainingError.interrupted(step: trainer.stepCount) }
        }
        if world.size > 1, trainer.communication.allreduceBytes > 0 {
            let steps = Double(options.steps - firstStep)
            let communication = trainer.communication
            log(
                String(
                    format: "PPO on %d ranks: allgather %.2f ms, allreduce %.2f ms per step (%d bytes)",
                    world.size, 1000 * communication.gatherSeconds / steps,
                    1000 * communication.allreduceSeconds / steps, Int(Double(communication.allreduceBytes) / steps)))
        }
        let adapterFolder: URL
        switch options.policy {
        case .lora:
            adapterFolder = options.outputFolder.appendingPathComponent("adapter")
            if world.isRoot { try LoRA.save(base, configuration: adapter, to: adapterFolder) }
        case .full:
            adapterFolder = options.outputFolder.appendingPathComponent(fullModelFolder)
            if world.isRoot {
                try TrainingCheckpoint.saveModel(base, copyingFilesFrom: options.model, to: adapterFolder)
            }
        }
        if world.isRoot {
            try SafeTensors.write(
                valueHeadState(policy), metadata: ["format": "pt"],
                to: options.outputFolder.appendingPathComponent("value_head.safetensors"))
        }
        return Result(
            adapterFolder: adapterFolder, logFile: logFile, steps: trainer.stepCount, firstRewardMean: firstReward,
            lastRewardMean: lastReward)
    }

    /// What each rank contributes to a step: its rows' responses and scores, and its sampling stream
    /// after them (for rank 0's checkpoint).
    struct RankRollout: Codable {
        var responses: [[Int]]
        var scores: [Float]
        var sampling: SeededGenerator
    }

    /// The checkpoint key of `rank`'s sampling stream: rank 0's is the key one process has always
    /// used, so single-process checkpoints read as before.
    static func samplingGeneratorKey(rank: Int) -> String {
        rank == 0 ? samplingGeneratorKey : "\(samplingGeneratorKey).rank\(rank)"
    }

    /// The settings that shape a PPO run's result, recorded beside its checkpoint: all of
    /// ``Settings`` but the step count and the checkpoint interval, plus the identity of the
    /// model, merged adapters, reward model and data file.
    static func runSettings(_ options: Options, adapter: LoRAConfiguration) throws -> RunSettingsRecord {
        var values = try RunSettingsRecord.flattened(options.ppo, prefix: "ppo")
        values.merge(try RunSettingsRecord.flattened(json: try adapter.jsonData(), prefix: "adapter")) { $1 }
        values.merge(try RunSettingsRecord.flattened(options.template, prefix: "template")) { $1 }
        values.merge(try RunSettingsRecord.flattened(options.lengthSampler, prefix: "lengthSampler")) { $1 }
        values["rewardLabel"] = options.rewardLabel
        values["rewardOutput"] = options.rewardOutput.rawValue
        values["rewardIncludesQuery"] = "\(options.rewardIncludesQuery)"
        values["quantization"] = options.quantization.rawValue
        values["doubleQuantization"] = "\(options.doubleQuantization)"
        values["minNewTokens"] = "\(options.minNewTokens)"
        values["generationBatchSize"] = "\(options.generationBatchSize)"
        values["maxSourceLength"] = "\(options.maxSourceLength)"
        values["dialogueLength"] = options.dialogueLength.map { "\($0)" }
        values["skipBadRows"] = "\(options.malformedRows == .skip)"
        values["prompts"] = options.prompts?.name
        values["queryLengths"] = options.queryLengths.map { "\($0.range)" }
        values["policy"] = options.policy.rawValue
        values["numSharedLayers"] = options.numSharedLayers.map { "\($0)" }
        // Recorded only when set, so the records of earlier runs stay as they were.
        values["greedyRollouts"] = options.greedyRollouts ? "true" : nil
        values.merge(try FineTuneStage.modelIdentity(options.model, key: "model")) { $1 }
        values.merge(try FineTuneStage.modelIdentity(options.rewardModel, key: "rewardModel")) { $1 }
        for (index, folder) in options.baseAdapters.enumerated() {
            values["baseAdapters.\(index)"] = folder.standardizedFileURL.path
            values["baseAdapters.\(index).weights"] = try RunSettingsRecord.fileIdentity(
                folder.appendingPathComponent(LoRA.weightsFileName))
        }
        values["dataFile"] = try RunSettingsRecord.fileIdentity(options.dataFile)
        return RunSettingsRecord(values)
    }

    /// Rollouts: pure sampling (top_k 0, top_p 1). Dialogues draw one maximum length per generation
    /// batch (the course lab's loop); prompts draw one per response as TRL's toxicity example does,
    /// each row sampled to the batch's longest draw and cut to its own (the tokens before the cut
    /// are drawn exactly as if generation had stopped there).
    static func rollouts(
        _ queries: [[Int]], model: any LanguageModel, options: Options, generator: inout SeededGenerator
    ) throws -> [[Int]] {
        var responses: [[Int]] = []
        for start in stride(from: 0, to: queries.count, by: options.generationBatchSize) {
            let chunk = Array(queries[start..<Swift.min(start + options.generationBatchSize, queries.count)])
            let lengths =
                options.prompts == nil
                ? [options.lengthSampler.sample(&generator)]
                : chunk.map { _ in options.lengthSampler.sample(&generator) }
            let generation = GenerationConfig(
                doSample: !options.greedyRollouts, topK: 0, topP: 1, minNewTokens: options.minNewTokens,
                maxNewTokens: lengths.max() ?? options.lengthSampler.range.lowerBound)
            let generated = try model.generateResponses(
                queries: chunk, configuration: generation, generator: &generator)
            responses += lengths.count == 1 ? generated : zip(generated, lengths).map { Array($0.prefix($1)) }
        }
        return responses
    }

    /// The value head under TRL's names (`v_head.summary.weight`, `v_head.summary.bias`).
    static func valueHeadState(_ policy: any PolicyLanguageModel) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: policy.valueHead.stateDict().map { ("v_head.\($0.key)", $0.value) })
    }
}
