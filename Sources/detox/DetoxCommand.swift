import ArgumentParser
import Detox
import Foundation
import TensorCore

struct DetoxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detox",
        abstract: "Make a seq2seq model's outputs less toxic with reinforcement learning, natively in Swift.",
        discussion: """
            Examples:
              detox demo                      # offline end-to-end run
              detox demo --steps 300 --out /tmp/detox-demo
            """,
        version: Detox.version,
        subcommands: [DemoCommand.self]
    )
}

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the offline end-to-end demo.",
        discussion: """
            Trains a small network with the full training stack (autograd, AdamW with warmup and
            cosine decay, gradient clipping), writes it as safetensors and reloads it. The model
            pipeline (T5, LoRA, PPO, report) replaces this run as it lands.

            Example:
              detox demo --steps 600 --out demo-out
            """
    )

    @Option(help: "Optimizer steps.") var steps = 600
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Option(help: "Output folder.") var out = "demo-out"

    func validate() throws {
        guard steps >= 6 else { throw ValidationError("--steps must be at least 6, got \(steps)") }
    }

    func run() throws {
        var options = FoundationDemo.Options()
        options.steps = steps
        options.seed = seed
        options.outputFolder = URL(fileURLWithPath: out)
        print("BLAS kernels: \(BLASRuntime.kernelName)")
        let summary = try FoundationDemo.run(options) { print($0) }
        print(String(format: "loss %.4f → %.4f, training accuracy %.1f%%, %.1f s",
                     summary.initialLoss, summary.finalLoss, 100 * summary.accuracy, summary.seconds))
        print("checkpoint: \(summary.checkpoint.path) (reloaded outputs identical: \(summary.reloadedOutputsIdentical ? "yes" : "NO"))")
        if !summary.reloadedOutputsIdentical { throw ExitCode.failure }
    }
}
