import ArgumentParser
import DetoxPipeline
import DetoxTraining
import Testing

@testable import detox

/// A stage command starts from the stage's own settings and changes only what its flags name;
/// its help shows those settings as the defaults.
@Suite struct StageFlagTests {
    static let ppoFiles = ["--model", "m", "--reward-model", "r", "--data", "d.csv", "--out", "o"]

    @Test func withoutFlagsTheStageDefaultsHold() throws {
        #expect(try PPOCommand.parse(Self.ppoFiles).settings() == PPOStage.Settings())
        #expect(
            try FineTuneCommand.parse(["--model", "m", "--train", "t.csv", "--out", "o"]).settings()
                == FineTuneStage.Settings())
        #expect(
            try SummarizeCommand.parse(["--model", "m", "--data", "d.csv"]).settings() == SummarizeStage.Settings())
        #expect(
            try GenerateCommand.parse(["--model", "m", "--prompts", "p.txt"]).settings() == GenerateStage.Settings())
        #expect(
            try EvaluateCommand.parse([
                "--model", "m", "--after", "a", "--toxicity-model", "t", "--data", "d.csv", "--out", "o",
            ]).settings() == EvaluateStage.Settings())
    }

    @Test func aFlagOverridesOnlyItsField() throws {
        let command = try PPOCommand.parse(
            Self.ppoFiles + [
                "--mini-batch-size", "2", "--reward-label", "ok", "--lora-rank", "8", "--lengths", "3,7",
                "--normalize-scores", "--kl-penalty", "mse", "--seed", "5",
            ])
        var expected = PPOStage.Settings()
        expected.ppo.miniBatchSize = 2
        expected.rewardLabel = "ok"
        expected.adapter.rank = 8
        expected.adapter.alpha = 8
        expected.lengthSampler = try LengthSampler(3, 7)
        expected.ppo.useScoreScaling = true
        expected.ppo.useScoreNorm = true
        expected.ppo.klPenalty = .mse
        expected.ppo.seed = 5
        #expect(try command.settings() == expected)

        let fineTune = try FineTuneCommand.parse([
            "--model", "m", "--train", "t.csv", "--out", "o", "--no-double-quant", "--lora-targets", "q,k,v",
            "--evaluate-every", "3",
        ]).settings()
        var expectedFineTune = FineTuneStage.Settings()
        expectedFineTune.doubleQuantization = false
        expectedFineTune.adapter.targets = .names(["q", "k", "v"])
        expectedFineTune.trainer.evaluateEvery = 3
        expectedFineTune.trainer.checkpointEvery = 3
        #expect(fineTune == expectedFineTune)

        let generate = try GenerateCommand.parse([
            "--model", "m", "--prompts", "p.txt", "--sample", "--top-k", "0", "--temperature", "0.7", "--limit", "3",
        ]).settings()
        var expectedGenerate = GenerateStage.Settings()
        expectedGenerate.generation.doSample = true
        expectedGenerate.generation.topK = 0
        expectedGenerate.generation.temperature = 0.7
        expectedGenerate.limit = 3
        #expect(generate == expectedGenerate)

        let evaluate = try EvaluateCommand.parse([
            "--model", "m", "--after", "a", "--toxicity-model", "t", "--data", "d.csv", "--out", "o", "--sample",
            "--seed", "4",
        ]).settings()
        #expect(evaluate.generation.doSample && evaluate.generation.seed == 4)
        #expect(evaluate.generation.maxNewTokens == EvaluateStage.Settings().generation.maxNewTokens)
    }

    /// `--prompts` (or `--prompt-field`) starts from the stage's defaults for prompts (TRL's
    /// toxicity example's), and the other flags change fields of those.
    @Test func promptFlagsStartFromThePromptDefaults() throws {
        let ppo = try PPOCommand.parse(
            Self.ppoFiles + ["--prompts", "real_toxicity_prompts", "--lora-targets", "q_proj,v_proj"]
        ).settings()
        var expected = PPOStage.Settings(prompts: .realToxicityPrompts)
        expected.adapter.targets = .names(["q_proj", "v_proj"])
        #expect(ppo == expected)
        #expect(
            try PPOCommand.parse(Self.ppoFiles + ["--prompt-field", "text", "--query-lengths", "5,9"]).settings()
                .queryLengths
                == LengthSampler(5, 9))
        #expect(throws: ValidationError.self) {
            try PPOCommand.parse(Self.ppoFiles + ["--prompts", "dialogsum"]).settings()
        }
        #expect(throws: ValidationError.self) {
            try PPOCommand.parse(Self.ppoFiles + ["--prompts", "wiki_toxic", "--prompt-field", "text"]).settings()
        }
        #expect(throws: ValidationError.self) { try PPOCommand.parse(Self.ppoFiles + ["--policy", "half"]).settings() }
        let evaluate = try EvaluateCommand.parse([
            "--model", "m", "--after", "a", "--toxicity-model", "t", "--data", "d.csv", "--out", "o", "--prompts",
            "wiki_toxic",
        ]).settings()
        #expect(evaluate == EvaluateStage.Settings(prompts: .wikiToxic))
    }

    @Test func badChoicesAreUsageErrors() throws {
        #expect(throws: ValidationError.self) {
            try PPOCommand.parse(Self.ppoFiles + ["--quantize", "int3"]).settings()
        }
        #expect(throws: ValidationError.self) { try PPOCommand.parse(Self.ppoFiles + ["--lengths", "3"]).settings() }
        // Exactly two integers, 0 < min < max: a third value, a non-number or a bad order is an error.
        let bad = ["1,2,x", "1,x", "nan,5", "0,5", "-3,5", "7,3", "4,4", ",5", "9999999999999999999999,5"]
        for value in bad {
            for flag in ["--lengths", "--query-lengths"] {
                #expect(throws: ValidationError.self, "\(flag) \(value)") {
                    try PPOCommand.parse(Self.ppoFiles + ["--prompt-field", "text", "\(flag)=\(value)"]).settings()
                }
            }
        }
    }

    /// Adapter flags out of range are usage errors naming the flag, before anything is loaded.
    @Test func adapterFlagsOutOfRangeNameTheFlag() throws {
        let fineTune = ["--model", "m", "--train", "t.csv", "--out", "o"]
        for (flags, message) in [
            (["--lora-rank", "0"], "--lora-rank: expected a positive integer, found 0"),
            (["--lora-rank=-3"], "--lora-rank: expected a positive integer, found -3"),
            (["--lora-alpha", "0"], "--lora-alpha: expected a positive number, found 0.0"),
            (["--lora-alpha", "nan"], "--lora-alpha: expected a positive number, found nan"),
            (["--lora-dropout", "1"], "--lora-dropout: expected a value in [0, 1), found 1.0"),
            (["--lora-dropout=-0.1"], "--lora-dropout: expected a value in [0, 1), found -0.1"),
        ] {
            expectUsageError(message) { _ = try FineTuneCommand.parse(fineTune + flags).settings() }
        }
        expectUsageError("--lora-rank: expected a positive integer, found 0") {
            _ = try PPOCommand.parse(Self.ppoFiles + ["--lora-rank", "0"]).settings()
        }
    }

    func expectUsageError(
        _ message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("no error; expected \(message)", sourceLocation: sourceLocation)
        } catch let error as ValidationError {
            #expect(error.message == message, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error); expected \(message)", sourceLocation: sourceLocation)
        }
    }

    @Test func helpShowsTheStageDefaults() {
        let help = PPOCommand.helpMessage(columns: 200)
        #expect(help.contains("Learning rate. (default: \(PPOConfiguration().learningRate))"))
        #expect(help.contains("Mini-batch size. (default: 4)"))
        #expect(help.contains("Reward label (the non-toxic class). (default: nothate)"))
        #expect(help.contains("LoRA rank of the PPO adapter. (default: 32)"))
        #expect(help.contains("(default: 100,400)"))
        let fineTune = FineTuneCommand.helpMessage(columns: 200)
        #expect(fineTune.contains("Double quantization of the 4-bit scales. (default: --double-quant)"))
        #expect(fineTune.contains("LoRA rank. (default: 32)"))
    }
}
