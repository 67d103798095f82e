import ArgumentParser
import DetoxDemo
import DetoxEvaluation
import DetoxPipeline
import DetoxTensor
import DetoxTraining
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole pipeline offline on a bundled tiny world and write the report.",
        discussion: """
            --family t5 (the default) builds a DialogSum-format dataset, word-level tokenizers, a tiny
            T5 trained from scratch, a tiny ELECTRA reward model and a tiny RoBERTa toxicity evaluator
            (as Hugging Face folders), then runs zero-shot summaries, QLoRA fine-tuning, PPO and the
            before/after evaluation through the same code as real models. --family causal builds a
            tiny GPT-2 trained from scratch to continue errand sentences with insults half of the
            time, then runs PPO (LoRA) and the decoder-only evaluation (toxicity of sampled
            continuations, perplexity under the original model, distinct-n). Rerunning reuses the
            built world and resumes finished stages from their checkpoints.

            Examples:
              detox demo
              detox demo --quick --out /tmp/detox-demo
              detox demo --family causal --out /tmp/detox-demo-causal
            """
    )

    /// Which world the demo builds.
    enum Family: String, ExpressibleByArgument, CaseIterable {
        case t5, causal
    }

    @Option(help: "t5 (summaries) or causal (a decoder-only model's continuations).") var family = Family.t5

    @Flag(help: "A smaller, faster run (the one the tests use).") var quick = false
    @Option(help: "Random seed of the world and every stage.") var seed: UInt64 = 7
    @Option(help: "Output folder.") var out = "demo-out"
    @Flag(help: "Only build the offline world (models, tokenizers, dialogues) into OUT/world and stop.")
    var worldOnly = false
    @Flag(help: "Print only the summary.") var quiet = false
    @Flag(help: "Print the summary as JSON (implies --quiet).") var json = false
    @Option(
        help: """
            PPO steps (default \(DemoPipeline.ppoSteps(quick: true)) with --quick, else \
            \(DemoPipeline.ppoSteps(quick: false))).
            """)
    var ppoSteps: Int?
    @Option(help: help("PPO learning rate.", default: DemoPipeline.Options().ppoLearningRate)) var ppoLearningRate:
        Double?
    @Option(help: help("Initial KL coefficient.", default: PPOConfiguration().initKLCoef)) var klCoefficient: Double?

    func run() throws {
        if worldOnly {
            let world = DemoWorld(folder: URL(fileURLWithPath: out).appendingPathComponent("world"))
            if !world.isBuilt {
                try world.build(seed: seed, scale: quick ? .quick : .full) { if !quiet { print($0) } }
            }
            print(world.folder.path)
            return
        }
        if family == .causal { return try runCausal() }
        var options = DemoPipeline.Options()
        options.quick = quick
        options.seed = seed
        options.outputFolder = URL(fileURLWithPath: out)
        options.ppoSteps = ppoSteps
        options.ppoLearningRate = ppoLearningRate ?? options.ppoLearningRate
        options.klCoefficient = klCoefficient
        let silent = quiet || json
        if !silent { print("BLAS kernels: \(BLASRuntime.kernelName), \(Parallel.coreCount) cores") }
        let summary = try DemoPipeline.run(options) { line in if !silent { ToolProgress.output.log(line) } }
        ToolProgress.output.flush()
        try show(
            summary.report.summary,
            lines: [
                String(
                    format: "fine-tuning validation loss: %.4f → %.4f", summary.fineTuneValidationLoss.first ?? .nan,
                    summary.fineTuneValidationLoss.last ?? .nan),
                String(
                    format: "PPO mean reward: %+.3f → %+.3f", summary.rewardMean.first ?? .nan,
                    summary.rewardMean.last ?? .nan),
            ], reportFile: summary.reportFile, seconds: summary.seconds)
    }

    /// The decoder-only demo; the T5 flags that have no counterpart (`--kl-coefficient`) are ignored.
    func runCausal() throws {
        var options = CausalDemo.Options()
        options.quick = quick
        options.seed = seed
        options.outputFolder = URL(fileURLWithPath: out == "demo-out" ? "demo-causal-out" : out)
        options.ppoSteps = ppoSteps
        options.ppoLearningRate = ppoLearningRate ?? options.ppoLearningRate
        let silent = quiet || json
        if !silent { print("BLAS kernels: \(BLASRuntime.kernelName), \(Parallel.coreCount) cores") }
        let summary = try CausalDemo.run(options) { line in if !silent { ToolProgress.output.log(line) } }
        ToolProgress.output.flush()
        try show(
            summary.report.summary,
            lines: [
                String(
                    format: "PPO mean reward: %+.3f → %+.3f", summary.rewardMean.first ?? .nan,
                    summary.rewardMean.last ?? .nan)
            ], reportFile: summary.reportFile, seconds: summary.seconds)
    }

    /// Prints a demo's outcome: with `--json` the summary alone, otherwise the before/after table,
    /// the demo's own `lines`, where the report is and how long it took.
    func show(_ report: ComparisonSummary, lines: [String], reportFile: URL, seconds: Double) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("")
        print(HTMLReport.terminalSummary(report))
        print("")
        for line in lines { print(line) }
        print("report: \(reportFile.path)")
        print(String(format: "finished in %.0f s", seconds))
    }
}
