import ArgumentParser
import DetoxPipeline
import DetoxTensor
import Foundation

struct DetoxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detox",
        abstract: "Make a seq2seq model's outputs less toxic with reinforcement learning, natively in Swift.",
        discussion: """
            Models are local Hugging Face folders (config.json, weights, tokenizer files) or Hub ids.
            Exit codes: 0 ok, 1 failure, 2 usage error.

            Examples:
              detox demo                      # offline end-to-end run, writes demo-out/report/report.html
              detox demo --quick
              detox generate --model FOLDER --prompts prompts.txt --max-new-tokens 30
              detox summarize --model FOLDER --data test.csv --limit 5
              detox finetune --model FOLDER --train train.csv --quantize nf4 --out runs/sft
              detox ppo --model FOLDER --adapter runs/sft/adapter --reward-model CLASSIFIER --data train.csv --out runs/ppo
              detox evaluate --model FOLDER --before runs/sft/adapter --after runs/ppo --toxicity-model CLASSIFIER --data test.csv --out runs/report
            """,
        version: Detox.version,
        subcommands: [
            DemoCommand.self, RunCommand.self, DownloadCommand.self, GenerateCommand.self, SummarizeCommand.self,
            FineTuneCommand.self,
            PPOCommand.self, EvaluateCommand.self, TrainClassifierCommand.self,
        ]
    )
}
