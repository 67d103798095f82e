import DetoxLoRA
import DetoxModels
import DetoxTensor
import DetoxTraining
import Foundation

/// The decoder-only PPO step of TRL's toxicity example on a randomly initialised
/// `gpt-neo-125M`-shaped policy with a value head (12 layers, hidden 768, 12 heads, vocab 50257,
/// window 256, `[[global, local], 6]`): batch 16, mini-batch 4, 4 PPO epochs, queries of 30–39 and
/// responses of 20–29 tokens (the same lengths and seeds as `causal_ppo_trainer` in
/// `Scripts/bench/model_bench.py`). Two policies: the whole model trained against a frozen copy
/// (no shared layer, the most work and memory), and an r=16 LoRA on `q_proj`, `v_proj`. With `python`
/// the steps alternate with TRL's one by one, as the T5 PPO step does.
enum CausalPPOBenchmark {
    static let batch = 16, miniBatch = 4, epochs = 4
    static let vocabulary = 50257

    /// `gpt-neo-125M`'s `config.json` shape (random weights).
    static let configurationJSON = """
        {"model_type": "gpt_neo", "vocab_size": 50257, "hidden_size": 768, "num_layers": 12, "num_heads": 12,
         "max_position_embeddings": 2048, "window_size": 256, "attention_types": [[["global", "local"], 6]],
         "activation_function": "gelu_new", "bos_token_id": 50256, "eos_token_id": 50256}
        """

    /// Row `i`'s query and response lengths, as the Python side's.
    static func lengths(_ i: Int) -> (query: Int, response: Int) { (30 + (3 * i) % 10, 20 + (7 * i) % 10) }

    static func inputs() -> PPOBatch {
        var generator = SeededGenerator(seed: 4)
        let queries = (0..<batch).map { i in (0..<lengths(i).query).map { _ in generator.nextInt(below: 50256) } }
        let responses = (0..<batch).map { i in
            (0..<lengths(i).response).map { _ in generator.nextInt(below: 50256) }
        }
        return PPOBatch(queries: queries, responses: responses, scores: (0..<batch).map { _ in generator.nextNormal() })
    }

    /// The peak resident set of this process so far (`VmHWM`), in bytes; `nil` where `/proc` has none.
    static func peakResidentBytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// Runs the `kinds` (`lora`, `full`) with `pairedSteps` timed steps on each side (5 in `make bench`).
    static func run(report: Report, python: String?, kinds: [String], pairedSteps: Int = 5) throws {
        let configuration = try JSONDecoder().decode(GPTNeoConfiguration.self, from: Data(configurationJSON.utf8))
        let ppoBatch = inputs()
        for kind in kinds {
            let model = try GPTNeoForCausalLM(configuration: configuration, seed: 0)
            let reference: PPOReferencePolicy
            if kind == "lora" {
                var generator = SeededGenerator(seed: 3)
                try LoRA.apply(
                    LoRAConfiguration(
                        rank: 16, alpha: 32, targets: .names(["q_proj", "v_proj"]), taskType: "CAUSAL_LM"),
                    to: model, generator: &generator)
                reference = .adapterDisabled
            } else {
                reference = .frozenCopy(sharedLayers: nil)
            }
            let policy = model.withValueHead(seed: 0)
            var settings = PPOConfiguration()
            settings.batchSize = batch
            settings.miniBatchSize = miniBatch
            settings.ppoEpochs = epochs
            let trainer = try PPOTrainer(policy: policy, reference: reference, configuration: settings)
            let name = "gpt-neo-125M ppo step \(kind == "lora" ? "lora r16 q,v" : "full") 16 mb4 ep4 s"
            var stats: [String: Double] = [:]
            var ours: [Double] = []
            var theirs: [Double] = []
            let server = try python.map { try PythonStepServer(python: $0, kind: "causal-\(kind)") }
            _ = try server?.step()
            stats = try trainer.step(ppoBatch)
            for pair in 0..<pairedSteps {
                if pair % 2 == 0, let server { theirs.append(try server.step()) }
                let start = Clock.seconds()
                stats = try trainer.step(ppoBatch)
                ours.append(Clock.seconds() - start)
                if pair % 2 == 1, let server { theirs.append(try server.step()) }
            }
            let theirPeak = server?.finish()
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            var note = ModelBenchmarks.phases(stats)
            if let peak = peakResidentBytes() { note += String(format: "peak RSS %.2f GB; ", peak / 1e9) }
            if let theirPeak { note += String(format: "TRL's peak RSS %.2f GB; ", theirPeak / 1e9) }
            var paired = report
            if theirs.isEmpty {
                note += "median of \(pairedSteps) steps after one warm-up"
            } else {
                paired.reference[name] = median(theirs)
                let ratios = zip(ours, theirs).map { $0 / $1 }
                let listed = ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")
                note +=
                    "medians of \(pairedSteps) steps each, alternating with TRL's after one warm-up each; "
                    + "Detox's time / TRL's, pair by pair: \(listed) (median \(String(format: "%.2f", median(ratios))); "
                    + "target ≤ 0.8)"
            }
            paired.print(Figure(name: name, value: median(ours), unit: "s", higherIsBetter: false), note: note)
        }
    }
}
