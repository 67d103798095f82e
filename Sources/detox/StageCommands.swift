import ArgumentParser
import DetoxDatasets
import DetoxDistributed
import DetoxEvaluation
import DetoxLoRA
import DetoxModels
import DetoxPipeline
import DetoxTokenizers
import DetoxTraining
import Foundation

/// Flags shared by the commands that read a model.
struct ModelArguments: ParsableArguments {
    @Option(help: "Model: a local Hugging Face folder (config.json, weights, tokenizer) or a Hub id.")
    var model: String

    func folder() throws -> URL { try HubAccess.locator().folder(for: model) }
}

/// `--quiet` (only the result) and `--json` (the result as JSON on standard output, for scripts).
struct OutputArguments: ParsableArguments {
    @Flag(help: "Print only the result.") var quiet = false
    @Flag(help: "Print the result as JSON (implies --quiet).") var json = false

    /// Where progress lines go: standard output (step lines throttled), or nowhere with --quiet
    /// or --json.
    var log: (String) -> Void {
        let silent = quiet || json
        return { line in if !silent { ToolProgress.output.log(line) } }
    }

    func emit<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// Turns a library error into a one-line message and exit code 1 (usage errors are 2, by ArgumentParser).
/// A run stopped by Ctrl-C is left to `main`, which says what was saved and exits 130.
func runStage(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as TrainingError where Interruption.isRequested {
        throw error // main reports the interruption
    } catch {
        FileHandle.standardError.write(Data("error\(rankTag()): \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// " (rank R of N)" when this process is one of several `mpirun` ranks, else nothing.
func rankTag() -> String {
    guard Distributed.isLaunchedByMPI(), let world = try? Distributed.world(), world.size > 1 else { return "" }
    return " (rank \(world.rank) of \(world.size))"
}

/// Help for a flag that overrides a stage setting: the setting's own default, shown the way
/// ArgumentParser shows the default of a flag that has one.
func help(_ text: String, default value: Any) -> ArgumentHelp {
    ArgumentHelp("\(text) (default: \(value))")
}

/// Refuses an adapter setting out of range (``LoRAConfiguration/invalidSetting``), naming its flag.
func checkAdapterFlags(_ adapter: LoRAConfiguration) throws {
    if let (name, reason) = adapter.invalidSetting { throw ValidationError("--lora-\(name): \(reason)") }
}

/// A sampling configuration (top_k 0, top_p 1) when `sample`, else greedy; `--max-new-tokens`
/// and `--seed` override the stage's defaults.
func generation(_ defaults: GenerationConfig, sample: Bool, maxNewTokens: Int?, seed: UInt64?) -> GenerationConfig {
    let maxNewTokens = maxNewTokens ?? defaults.maxNewTokens
    guard sample else { return .greedy(maxNewTokens: maxNewTokens) }
    return .sampling(maxNewTokens: maxNewTokens, seed: seed ?? defaults.seed)
}

/// The prompt source named by `--prompts` or `--prompt-field` (at most one of them).
func promptSource(prompts: String?, promptField: String?) throws -> PromptSource? {
    switch (prompts, promptField) {
    case (nil, nil): return nil
    case (let name?, nil):
        guard let source = PromptSource(name: name) else {
            throw ValidationError("--prompts must be real_toxicity_prompts, wiki_toxic or field:<name>, got \(name)")
        }
        return source
    case (nil, let field?):
        guard !field.isEmpty else { throw ValidationError("--prompt-field must not be empty") }
        return .field(field)
    case (_?, _?): throw ValidationError("give --prompts or --prompt-field, not both")
    }
}

/// A `min,max` flag (`--lengths 20,30`) as TRL's `LengthSampler(min, max)`: exactly two integers
/// with 0 < min < max, or a usage error naming the flag.
func lengthRange(_ text: String, flag: String) throws -> LengthSampler {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    guard parts.count == 2, let lower = Int(parts[0]), let upper = Int(parts[1]), lower > 0, lower < upper else {
        throw ValidationError("\(flag) must be two integers min,max with 0 < min < max, got \"\(text)\"")
    }
    return try LengthSampler(lower, upper)
}

func existingFile(_ path: String, _ name: String) throws -> URL {
    let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw ValidationError("\(name) \(path) does not exist")
    }
    return url
}

struct SummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Summarize dialogues with a T5 model (zero-shot, or with an adapter).",
        discussion: """
            Example:
              detox summarize --model demo-out/world/models/tiny-t5 --data demo-out/world/datasets/dialogsum/test.csv --limit 5
            """)
    @OptionGroup var model: ModelArguments
    @Option(help: "An adapter folder (PEFT format) to apply.") var adapter: String?
    @Option(help: "A DialogSum CSV or JSONL file, or - for standard input (JSON lines, or one dialogue as text).")
    var data: String
    static let defaults = SummarizeStage.Settings()
    @Option(help: help("How many dialogues.", default: defaults.limit)) var limit: Int?
    @Option(help: help("Dialogues per generation batch.", default: defaults.batchSize)) var batchSize: Int?
    @Option(help: help("Generated tokens at most.", default: defaults.generation.maxNewTokens)) var maxNewTokens: Int?
    @Flag(help: "Sample (top_k 0, top_p 1) instead of greedy decoding.") var sample = false
    @Option(help: help("Sampling seed.", default: defaults.generation.seed)) var seed: UInt64?
    @Option(help: "Write JSON lines (id, prompt, summary, reference, rouge) here.") var output: String?
    @Flag(help: "Leave out malformed data rows (counted in the log) instead of stopping at the first.")
    var skipBadRows = false
    @OptionGroup var outputArguments: OutputArguments

    /// The stage's defaults with the flags that were given.
    func settings() -> SummarizeStage.Settings {
        var s = SummarizeStage.Settings()
        s.limit = limit ?? s.limit
        s.batchSize = batchSize ?? s.batchSize
        s.generation = generation(s.generation, sample: sample, maxNewTokens: maxNewTokens, seed: seed)
        s.malformedRows = skipBadRows ? .skip : s.malformedRows
        return s
    }

    func run() throws {
        try runStage {
            let dataFile = data == "-" ? URL(fileURLWithPath: "-") : try existingFile(data, "--data")
            var options = SummarizeStage.Options(model: try model.folder(), dataFile: dataFile, settings: settings())
            options.adapter = try adapter.map { try existingFile($0, "--adapter") }
            options.outputFile = output.map { URL(fileURLWithPath: $0) }
            let rows = try SummarizeStage.run(options, log: outputArguments.log)
            if outputArguments.json { return try outputArguments.emit(rows) }
            if let rouge = SummarizeStage.meanRougeL(rows) {
                print(
                    String(
                        format: "%d summaries, mean ROUGE-L %.4f over %d with references", rows.count, rouge.mean,
                        rouge.count))
            } else {
                print("\(rows.count) summaries; the data has no reference summaries, so no ROUGE")
            }
        }
    }
}

struct FineTuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "LoRA or QLoRA fine-tuning on dialogue summaries or prompt/completion pairs; writes a PEFT adapter.",
        discussion: """
            Resumes from the output folder's checkpoint when there is one. Data files are DialogSum
            dialogues (each rendered by the prompt template, its summary the completion) unless
            --prompt-field or --completion-field names the fields of a prompt/completion file; the
            loss is taken on the completion tokens only.

            Example:
              detox finetune --model google-t5/t5-small --train train.csv --validation validation.csv \\
                --quantize nf4 --lora-rank 32 --steps 200 --out runs/sft
            """)
    @OptionGroup var model: ModelArguments
    @Option(help: "Training data (CSV or JSONL).") var train: String
    @Option(help: "Validation dialogues for the evaluation loss.") var validation: String?
    @Option(help: "Output folder.") var out: String
    @Option(help: "The prompt field of a prompt/completion file (default: prompt).") var promptField: String?
    @Option(help: "The completion field of a prompt/completion file (default: completion).")
    var completionField: String?
    static let defaults = FineTuneStage.Settings()
    @Option(help: help("Base weights: none, nf4 or fp4.", default: defaults.quantization.rawValue))
    var quantize: String?
    @Flag(
        inversion: .prefixedNo,
        help: help(
            "Double quantization of the 4-bit scales.",
            default: defaults.doubleQuantization ? "--double-quant" : "--no-double-quant"))
    var doubleQuant: Bool?
    @Option(help: help("LoRA rank.", default: defaults.adapter.rank)) var loraRank: Int?
    @Option(help: help("LoRA alpha.", default: defaults.adapter.alpha)) var loraAlpha: Float?
    @Option(help: help("LoRA dropout.", default: defaults.adapter.dropout)) var loraDropout: Float?
    @Option(
        help: help(
            "Comma-separated target modules.",
            default: defaults.adapter.targets == .familyDefault
                ? "PEFT's for the model's family: q,v for T5, c_attn for GPT-2, q_proj,v_proj for GPT-Neo, Llama, Qwen2"
                : defaults.adapter.targets.names.joined(separator: ",")))
    var loraTargets: String?
    @Option(help: help("Learning rate.", default: defaults.trainer.learningRate)) var learningRate: Double?
    @Option(help: help("Epochs (ignored with --steps).", default: defaults.trainer.epochs)) var epochs: Int?
    @Option(help: "Optimizer steps.") var steps: Int?
    @Option(help: help("Examples per forward pass.", default: defaults.trainer.batchSize)) var batchSize: Int?
    @Option(help: help("Forward passes per optimizer step.", default: defaults.trainer.gradientAccumulation))
    var gradientAccumulation: Int?
    @Option(help: help("Tokens kept of each prompt.", default: defaults.trainer.maxSourceLength))
    var maxSourceLength: Int?
    @Option(help: help("Tokens kept of each summary.", default: defaults.trainer.maxTargetLength))
    var maxTargetLength: Int?
    @Option(help: help("Validation and checkpoint interval in steps.", default: defaults.trainer.evaluateEvery))
    var evaluateEvery: Int?
    @Option(help: help("Seed.", default: defaults.trainer.seed)) var seed: UInt64?
    @Flag(help: "Start over instead of resuming.") var restart = false
    @Flag(help: "Leave out malformed data rows (counted in the log) instead of stopping at the first.")
    var skipBadRows = false
    @OptionGroup var outputArguments: OutputArguments

    /// The stage's defaults with the flags that were given.
    func settings() throws -> FineTuneStage.Settings {
        var s = FineTuneStage.Settings()
        if let quantize {
            guard let mode = BaseQuantization(rawValue: quantize) else {
                throw ValidationError("--quantize must be none, nf4 or fp4, got \(quantize)")
            }
            s.quantization = mode
        }
        s.doubleQuantization = doubleQuant ?? s.doubleQuantization
        s.fields = PromptCompletion.Fields(naming: promptField, completionField) ?? s.fields
        s.adapter.rank = loraRank ?? s.adapter.rank
        s.adapter.alpha = loraAlpha ?? s.adapter.alpha
        s.adapter.dropout = loraDropout ?? s.adapter.dropout
        s.adapter.targets = loraTargets.map { .names($0.split(separator: ",").map(String.init)) } ?? s.adapter.targets
        s.trainer.learningRate = learningRate ?? s.trainer.learningRate
        s.trainer.epochs = epochs ?? s.trainer.epochs
        s.trainer.maxSteps = steps ?? s.trainer.maxSteps
        s.trainer.batchSize = batchSize ?? s.trainer.batchSize
        s.trainer.gradientAccumulation = gradientAccumulation ?? s.trainer.gradientAccumulation
        s.trainer.maxSourceLength = maxSourceLength ?? s.trainer.maxSourceLength
        s.trainer.maxTargetLength = maxTargetLength ?? s.trainer.maxTargetLength
        s.trainer.evaluateEvery = evaluateEvery ?? s.trainer.evaluateEvery
        s.trainer.checkpointEvery = s.trainer.evaluateEvery
        s.trainer.seed = seed ?? s.trainer.seed
        try checkAdapterFlags(s.adapter)
        s.malformedRows = skipBadRows ? .skip : s.malformedRows
        return s
    }

    func run() throws {
        try runStage {
            let settings = try settings()
            var options = FineTuneStage.Options(
                model: try model.folder(), trainFile: try existingFile(train, "--train"),
                outputFolder: URL(fileURLWithPath: out), settings: settings)
            options.validationFile = try validation.map { try existingFile($0, "--validation") }
            options.resume = !restart
            let result = try FineTuneStage.run(options, log: outputArguments.log)
            if outputArguments.json {
                return try outputArguments.emit([
                    "adapter": result.adapterFolder.path, "steps": "\(result.steps)",
                    "final_loss": result.finalLoss.map { "\($0)" } ?? "",
                    "final_eval_loss": result.finalValidationLoss.map { "\($0)" } ?? "",
                ])
            }
            print("adapter: \(result.adapterFolder.path)")
        }
    }
}

struct PPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo",
        abstract: "Detoxify a policy (T5 or decoder-only) with PPO against a classifier's reward (TRL semantics).",
        discussion: """
            The fine-tuned adapter is merged into the base; a fresh adapter trains with a KL penalty to
            that fine-tuned model. Statistics go to OUT/ppo_log.jsonl; resumes from OUT/checkpoint.
            Without --prompts the data are dialogues rendered with the summarization prompt; with
            --prompts real_toxicity_prompts (or wiki_toxic, or --prompt-field NAME) they are prompts read
            as they are, with TRL's toxicity example's defaults (responses of 20-29 tokens, queries of
            30-39 tokens for RealToxicityPrompts).

            Examples:
              detox ppo --model google-t5/t5-small --adapter runs/sft/adapter \\
                --reward-model facebook/roberta-hate-speech-dynabench-r4-target --reward-label nothate \\
                --data train.csv --steps 10 --out runs/ppo
              detox ppo --model HuggingFaceTB/SmolLM2-135M --prompts real_toxicity_prompts \\
                --data prompts.jsonl --lora-targets q_proj,v_proj --quantize nf4 \\
                --reward-model facebook/roberta-hate-speech-dynabench-r4-target --out runs/ppo-smollm2
            """)
    @OptionGroup var model: ModelArguments
    @Option(help: "Fine-tuned adapter merged into the base first.") var adapter: String?
    @Option(help: "Reward classifier folder or Hub id.") var rewardModel: String
    static let defaults = PPOStage.Settings()
    @Option(help: help("Reward label (the non-toxic class).", default: defaults.rewardLabel)) var rewardLabel: String?
    @Option(help: help("logit, probability or margin.", default: defaults.rewardOutput.rawValue))
    var rewardOutput: String?
    @Option(help: "Prompts (CSV or JSONL).") var data: String
    @Option(help: "How --data holds prompts: real_toxicity_prompts, wiki_toxic or field:NAME (default: dialogues).")
    var prompts: String?
    @Option(help: "The prompt field of a JSON Lines or CSV file (same as --prompts field:NAME).") var promptField:
        String?
    @Option(help: "Query length range, min,max: each prompt cut to a drawn length (TRL's LengthSampler).")
    var queryLengths: String?
    @Option(help: "Output folder.") var out: String
    @Option(help: help("PPO steps.", default: defaults.steps)) var steps: Int?
    @Option(help: help("Learning rate.", default: defaults.ppo.learningRate)) var learningRate: Double?
    @Option(help: help("Batch size.", default: defaults.ppo.batchSize)) var batchSize: Int?
    @Option(help: help("Mini-batch size.", default: defaults.ppo.miniBatchSize)) var miniBatchSize: Int?
    @Option(help: help("PPO epochs per batch.", default: defaults.ppo.ppoEpochs)) var ppoEpochs: Int?
    @Option(help: help("Initial KL coefficient.", default: defaults.ppo.initKLCoef)) var initKLCoef: Double?
    @Option(help: help("kl, abs, mse or full.", default: defaults.ppo.klPenalty.rawValue)) var klPenalty: String?
    @Option(help: help("Minimum generated tokens.", default: defaults.minNewTokens)) var minNewTokens: Int?
    @Option(
        help: help(
            "Response length range, min..<max (TRL's LengthSampler).",
            default: "\(defaults.lengthSampler.range.lowerBound),\(defaults.lengthSampler.range.upperBound)"))
    var lengths: String?
    @Option(help: help("LoRA rank of the PPO adapter.", default: defaults.adapter.rank)) var loraRank: Int?
    @Option(
        help: help("Comma-separated target modules.", default: defaults.adapter.targets.names.joined(separator: ",")))
    var loraTargets: String?
    @Option(help: help("lora or full.", default: defaults.policy.rawValue)) var policy: String?
    @Option(help: help("Base weights: none, nf4 or fp4.", default: defaults.quantization.rawValue))
    var quantize: String?
    @Flag(help: "Normalize scores with running statistics (use_score_scaling + use_score_norm).") var normalizeScores =
        false
    @Flag(help: "Generate rollouts greedily (the same for any number of ranks; for checking data-parallel runs).")
    var greedyRollouts = false
    @Option(help: help("Seed.", default: defaults.ppo.seed)) var seed: UInt64?
    @Option(
        help: help("Checkpoint interval in steps (the last step is always saved).", default: defaults.checkpointEvery))
    var checkpointEvery: Int?
    @Flag(help: "Start over instead of resuming.") var restart = false
    @Flag(help: "Leave out malformed data rows (counted in the log) instead of stopping at the first.")
    var skipBadRows = false
    @OptionGroup var outputArguments: OutputArguments

    /// The stage's defaults with the flags that were given.
    func settings() throws -> PPOStage.Settings {
        let source = try promptSource(prompts: prompts, promptField: promptField)
        var s = source.map { PPOStage.Settings(prompts: $0) } ?? PPOStage.Settings()
        if let queryLengths { s.queryLengths = try lengthRange(queryLengths, flag: "--query-lengths") }
        if let policy {
            guard let kind = PPOStage.PolicyKind(rawValue: policy) else {
                throw ValidationError("--policy must be lora or full")
            }
            s.policy = kind
        }
        s.adapter.targets = loraTargets.map { .names($0.split(separator: ",").map(String.init)) } ?? s.adapter.targets
        if let checkpointEvery {
            guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1") }
            s.checkpointEvery = checkpointEvery
        }
        if let klPenalty {
            guard let penalty = KLPenalty(rawValue: klPenalty) else {
                throw ValidationError("--kl-penalty must be kl, abs, mse or full")
            }
            s.ppo.klPenalty = penalty
        }
        if let rewardOutput {
            guard let output = RewardModel.Output(rawValue: rewardOutput) else {
                throw ValidationError("--reward-output must be logit, probability or margin")
            }
            s.rewardOutput = output
        }
        if let quantize {
            guard let mode = BaseQuantization(rawValue: quantize) else {
                throw ValidationError("--quantize must be none, nf4 or fp4")
            }
            s.quantization = mode
        }
        if let lengths { s.lengthSampler = try lengthRange(lengths, flag: "--lengths") }
        s.rewardLabel = rewardLabel ?? s.rewardLabel
        if let loraRank {
            // The adapter's alpha follows its rank, as in the course lab (r 32, alpha 32).
            s.adapter.rank = loraRank
            s.adapter.alpha = Float(loraRank)
        }
        s.ppo.learningRate = learningRate ?? s.ppo.learningRate
        s.ppo.batchSize = batchSize ?? s.ppo.batchSize
        s.ppo.miniBatchSize = miniBatchSize ?? s.ppo.miniBatchSize
        s.ppo.ppoEpochs = ppoEpochs ?? s.ppo.ppoEpochs
        s.ppo.initKLCoef = initKLCoef ?? s.ppo.initKLCoef
        if normalizeScores {
            s.ppo.useScoreScaling = true
            s.ppo.useScoreNorm = true
        }
        s.ppo.seed = seed ?? s.ppo.seed
        s.greedyRollouts = greedyRollouts
        s.steps = steps ?? s.steps
        s.minNewTokens = minNewTokens ?? s.minNewTokens
        try checkAdapterFlags(s.adapter)
        s.malformedRows = skipBadRows ? .skip : s.malformedRows
        return s
    }

    func run() throws {
        try runStage {
            let settings = try settings()
            var options = PPOStage.Options(
                model: try model.folder(), rewardModel: try HubAccess.locator().folder(for: rewardModel),
                dataFile: try existingFile(data, "--data"), outputFolder: URL(fileURLWithPath: out),
                settings: settings)
            options.baseAdapters = try adapter.map { [try existingFile($0, "--adapter")] } ?? []
            options.resume = !restart
            let result = try PPOStage.run(options, log: outputArguments.log)
            if outputArguments.json {
                return try outputArguments.emit([
                    "adapter": result.adapterFolder.path, "log": result.logFile.path, "steps": "\(result.steps)",
                ])
            }
            print("adapter: \(result.adapterFolder.path)\nlog: \(result.logFile.path)")
        }
    }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compare toxicity, reward and ROUGE before and after detoxification; write the report.",
        discussion: """
            Example:
              detox evaluate --model google-t5/t5-small --before runs/sft/adapter --after runs/ppo \\
                --toxicity-model facebook/roberta-hate-speech-dynabench-r4-target --data test.csv --out runs/report
            """)
    @OptionGroup var model: ModelArguments
    @Option(help: "Adapter merged into the base for the 'before' model (omit for the base).") var before: String?
    @Option(help: "The PPO run folder (or an adapter folder) for the 'after' model.") var after: String
    @Option(help: "Toxicity evaluator folder or Hub id.") var toxicityModel: String
    static let defaults = EvaluateStage.Settings()
    @Option(help: help("The evaluator's toxic label.", default: defaults.toxicLabel)) var toxicLabel: String?
    @Option(help: "Reward model for the reward columns.") var rewardModel: String?
    @Option(help: help("Reward label.", default: defaults.rewardLabel)) var rewardLabel: String?
    @Option(help: "Test dialogues or prompts (CSV or JSONL).") var data: String
    @Option(help: "How --data holds prompts: real_toxicity_prompts, wiki_toxic or field:NAME (default: dialogues).")
    var prompts: String?
    @Option(help: "The prompt field of a JSON Lines or CSV file (same as --prompts field:NAME).") var promptField:
        String?
    @Option(help: help("How many (400 for prompts).", default: defaults.count)) var count: Int?
    @Option(help: help("Generated tokens at most.", default: defaults.generation.maxNewTokens)) var maxNewTokens: Int?
    @Flag(help: "Sample with --seed instead of greedy decoding (always, for prompts).") var sample = false
    @Option(help: help("Sampling seed (42 for prompts).", default: defaults.generation.seed)) var seed: UInt64?
    @Option(help: "Output folder.") var out: String
    @Flag(help: "Leave out malformed data rows (counted in the log) instead of stopping at the first.")
    var skipBadRows = false
    @OptionGroup var outputArguments: OutputArguments

    /// The stage's defaults with the flags that were given.
    func settings() throws -> EvaluateStage.Settings {
        let source = try promptSource(prompts: prompts, promptField: promptField)
        var s = source.map { EvaluateStage.Settings(prompts: $0) } ?? EvaluateStage.Settings()
        s.toxicLabel = toxicLabel ?? s.toxicLabel
        s.rewardLabel = rewardLabel ?? s.rewardLabel
        s.count = count ?? s.count
        s.generation = generation(
            s.generation, sample: sample || s.generation.doSample, maxNewTokens: maxNewTokens, seed: seed)
        s.malformedRows = skipBadRows ? .skip : s.malformedRows
        return s
    }

    func run() throws {
        try runStage {
            let afterURL = try existingFile(after, "--after")
            var options = EvaluateStage.Options(
                model: try model.folder(), after: afterURL,
                toxicityModel: try HubAccess.locator().folder(for: toxicityModel),
                dataFile: try existingFile(data, "--data"), outputFolder: URL(fileURLWithPath: out),
                settings: try settings())
            options.beforeAdapters = try before.map { [try existingFile($0, "--before")] } ?? []
            options.rewardModel = try rewardModel.map { try HubAccess.locator().folder(for: $0) }
            let log = afterURL.appendingPathComponent("ppo_log.jsonl")
            options.trainingLog = FileManager.default.fileExists(atPath: log.path) ? log : nil
            let result = try EvaluateStage.run(options, log: outputArguments.log)
            if outputArguments.json { return try outputArguments.emit(result.report.summary) }
            print(HTMLReport.terminalSummary(result.report.summary))
            for file in result.files { print("wrote \(file.path)") }
        }
    }
}

struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a model or dataset from the Hugging Face Hub into the shared cache.",
        discussion: """
            Uses the same cache as Python's huggingface_hub (HF_HOME / HF_HUB_CACHE), so files either
            side fetched are reused. HF_HUB_OFFLINE=1 resolves from the cache only; HF_TOKEN is sent
            as a bearer token and never printed.

            Examples:
              detox download google-t5/t5-small
              detox download datasets/knkarthick/dialogsum
              detox download DaNLP/da-electra-hatespeech-detection --revision main
            """)
    @Argument(help: "A Hub id: org/name, or datasets/org/name.") var repo: String
    @Option(help: "Branch, tag or commit.") var revision = "main"
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        try runStage {
            let quiet = self.quiet
            let folder = try HubAccess.download(repo, revision: revision, progress: quiet ? nil : ToolProgress.hub)
            print(folder.path)
        }
    }
}

struct TrainClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-classifier",
        abstract: "Fine-tune a BERT/ELECTRA/RoBERTa classifier on labeled texts (a reward or toxicity model).",
        discussion: """
            The labels are the model's id2label names; the texts file is CSV (text,label) or JSON lines.
            The result is a Hugging Face folder (config.json, model.safetensors, tokenizer files).

            Example:
              detox train-classifier --model DaNLP/da-electra-hatespeech-detection --data english.csv --epochs 3 --out models/reward
            """)
    @OptionGroup var model: ModelArguments
    @Option(help: "Labeled texts: CSV with text,label columns or JSON lines.") var data: String
    @Option(help: "Held-out labeled texts for accuracy.") var validation: String?
    @Option(help: "Output folder.") var out: String
    @Option(help: "Epochs.") var epochs = 3
    @Option(help: "Learning rate.") var learningRate = 5e-5
    @Option(help: "Batch size.") var batchSize = 16
    @Option(help: "Tokens kept per text.") var maxLength = 128
    @Option(help: "Seed.") var seed: UInt64 = 42

    func run() throws {
        try runStage {
            let folder = try model.folder()
            let classifier = try SequenceClassifierModel.load(folder: folder)
            let tokenizer = try Tokenizer.load(from: folder)
            var parameters = ClassifierTrainer.Parameters()
            parameters.epochs = epochs
            parameters.learningRate = learningRate
            parameters.batchSize = batchSize
            parameters.maxLength = maxLength
            parameters.seed = seed
            // Under `mpirun` the ranks share every batch; rank 0 alone prints and writes the result.
            let world = try Distributed.world()
            let say: (String) -> Void = world.isRoot ? { print($0) } : { _ in }
            let trainer = try ClassifierTrainer(
                classifier: classifier, tokenizer: tokenizer, parameters: parameters, communicator: world)
            let examples = try LabeledText.load(try existingFile(data, "--data"))
            let losses = try trainer.train(examples) { step, loss in
                if world.isRoot {
                    ToolProgress.output.log(
                        String(format: "step %5d  loss %.4f", step, loss) + DistributedRun.ranks(world))
                }
            }
            ToolProgress.output.flush()
            say("epoch losses: " + losses.map { String(format: "%.4f", $0) }.joined(separator: " "))
            if let validation {
                say(
                    String(
                        format: "validation accuracy: %.2f%%",
                        100 * (try trainer.accuracy(try LabeledText.load(try existingFile(validation, "--validation"))))
                    ))
            }
            guard world.isRoot else { return }
            let output = URL(fileURLWithPath: out)
            try SequenceClassifierModel.save(classifier, to: output)
            for name in [
                "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json",
                "merges.txt", "spiece.model",
            ] {
                let source = folder.appendingPathComponent(name)
                let target = output.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: source.path) {
                    try? FileManager.default.removeItem(at: target)
                    try FileManager.default.copyItem(at: source, to: target)
                }
            }
            print("classifier: \(output.path)")
        }
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every stage of a YAML recipe; rerunning skips finished stages and resumes an interrupted one.",
        discussion: """
            Examples:
              detox run recipes/dialogsum-t5-small.yaml
              detox run recipes/dialogsum-flan-t5-base.yaml
            """)
    @Argument(help: "The recipe file.") var recipe: String
    @Flag(help: "Run every stage again from scratch, ignoring finished stages and checkpoints.") var restart = false

    func run() throws {
        try runStage {
            let parsed = try Recipe(contentsOf: try existingFile(recipe, "recipe"))
            let reports = try RecipeRunner.run(
                parsed, locator: HubAccess.locator(progress: ToolProgress.hub), restart: restart,
                log: { ToolProgress.output.log($0) })
            ToolProgress.output.flush()
            for report in reports {
                print(
                    "\(report.name): \(report.skipped ? "skipped (already finished)" : "done") → \(report.folder.path)")
            }
        }
    }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue prompts with a language model; writes JSON Lines.",
        discussion: """
            Prompts come from JSON Lines or CSV (the field named by --prompt-field) or a plain-text file
            (one prompt per line). Each output line holds the prompt, the continuation (special tokens
            left out) and the token counts of both. Progress goes to standard error.

            Example:
              detox generate --model EleutherAI/gpt-neo-125M --prompts prompts.txt --sample --top-k 0 --seed 1
            """)
    @OptionGroup var model: ModelArguments
    @Option(help: "An adapter folder (PEFT format) to apply.") var adapter: String?
    @Option(help: "Prompts: JSON Lines, CSV or plain text.") var prompts: String
    static let defaults = GenerateStage.Settings()
    @Option(help: help("The prompt field of a JSON Lines or CSV file.", default: defaults.promptField))
    var promptField: String?
    @Option(help: "How many prompts, from the start of the file (default: all).") var limit: Int?
    @Option(help: help("Prompts per generation batch.", default: defaults.batchSize)) var batchSize: Int?
    @Option(help: help("Tokens kept of each prompt.", default: defaults.maxPromptLength)) var maxPromptLength: Int?
    @Option(help: help("Generated tokens at most.", default: defaults.generation.maxNewTokens)) var maxNewTokens: Int?
    @Option(help: help("Generated tokens before EOS is allowed.", default: defaults.generation.minNewTokens))
    var minNewTokens: Int?
    @Flag(help: "Sample instead of greedy decoding.") var sample = false
    @Option(help: help("Sampling temperature.", default: defaults.generation.temperature)) var temperature: Float?
    @Option(help: help("Top-k when sampling (0: off).", default: defaults.generation.topK)) var topK: Int?
    @Option(help: help("Top-p when sampling (1: off).", default: defaults.generation.topP)) var topP: Float?
    @Option(help: help("Sampling seed.", default: defaults.generation.seed)) var seed: UInt64?
    @Option(help: "Write the JSON Lines here instead of standard output.") var output: String?
    @Flag(help: "Leave out malformed data rows (counted in the log) instead of stopping at the first.")
    var skipBadRows = false
    @Flag(help: "No progress lines.") var quiet = false

    /// The stage's defaults with the flags that were given.
    func settings() -> GenerateStage.Settings {
        var s = GenerateStage.Settings()
        s.promptField = promptField ?? s.promptField
        s.limit = limit ?? s.limit
        s.batchSize = batchSize ?? s.batchSize
        s.maxPromptLength = maxPromptLength ?? s.maxPromptLength
        var g = s.generation
        g.doSample = sample
        g.maxNewTokens = maxNewTokens ?? g.maxNewTokens
        g.minNewTokens = minNewTokens ?? g.minNewTokens
        g.temperature = temperature ?? g.temperature
        g.topK = topK ?? g.topK
        g.topP = topP ?? g.topP
        g.seed = seed ?? g.seed
        s.generation = g
        s.malformedRows = skipBadRows ? .skip : s.malformedRows
        return s
    }

    func run() throws {
        try runStage {
            var options = GenerateStage.Options(
                model: try model.folder(), promptsFile: try existingFile(prompts, "--prompts"), settings: settings())
            options.adapter = try adapter.map { try existingFile($0, "--adapter") }
            options.outputFile = output.map { URL(fileURLWithPath: $0) }
            let silent = quiet
            let rows = try GenerateStage.run(options) { line in
                if !silent { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            if options.outputFile == nil {
                FileHandle.standardOutput.write(Data(try GenerateStage.jsonLines(rows)))
            }
        }
    }
}
