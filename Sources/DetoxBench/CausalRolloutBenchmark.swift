import DetoxModels
import DetoxTensor
import Foundation

/// The rollout of TRL's toxicity example on the randomly initialised `gpt-neo-125M`-shaped policy
/// of ``CausalPPOBenchmark``: its 16 queries of 30–39 tokens sampled (top_k 0, top_p 1, EOS allowed
/// at once, pad = EOS) in generation batches of 4, left-padded, as `PPOStage` rolls out prompts and
/// as TRL 0.11.4's `PPOTrainer.generate(query_tensors, return_prompt=False, length_sampler=…,
/// **generation_kwargs)` does by default. Each batch's `max_new_tokens` is one draw of
/// `LengthSampler(20, 30)`, fixed here on both sides (``newTokens``). With `python` the rollouts
/// alternate with TRL's one by one (`causal_rollout` in `Scripts/bench/model_bench.py`).
///
/// Tokens per second count the requested new tokens (rows × `max_new_tokens`) on both sides.
enum CausalRolloutBenchmark {
    static let generationBatch = 4
    /// `max_new_tokens` of generation batch `c`: `20 + 7c mod 10`, as `ROLLOUT_NEW_TOKENS`.
    static let newTokens = (0..<(CausalPPOBenchmark.batch / generationBatch)).map { 20 + (7 * $0) % 10 }
    static let name = "gpt-neo-125M rollout 16x30-39 +20-29 tokens/s"

    /// One rollout of `queries`; returns the requested new tokens.
    static func rollout(
        _ model: any LanguageModel, queries: [[Int]], generator: inout SeededGenerator
    ) throws -> Int {
        var tokens = 0
        for (chunk, count) in newTokens.enumerated() {
            let start = chunk * generationBatch
            let rows = Array(queries[start..<Swift.min(start + generationBatch, queries.count)])
            let settings = GenerationConfig(doSample: true, topK: 0, topP: 1, minNewTokens: 0, maxNewTokens: count)
            _ = try model.generateResponses(queries: rows, configuration: settings, generator: &generator)
            tokens += rows.count * count
        }
        return tokens
    }

    /// Times `pairs` rollouts on each side (alternating with TRL's when `python` is given) after
    /// one warm-up each, and prints the median tokens per second with the per-pair ratios.
    static func run(report: Report, python: String?, pairs: Int) throws {
        let configuration = try JSONDecoder().decode(
            GPTNeoConfiguration.self, from: Data(CausalPPOBenchmark.configurationJSON.utf8))
        let model = try GPTNeoForCausalLM(configuration: configuration, seed: 0)
        let queries = CausalPPOBenchmark.inputs().queries
        var generator = SeededGenerator(seed: 5)
        let server = try python.map { try PythonStepServer(python: $0, kind: "causal-rollout") }
        _ = try server?.step()
        var tokens = try rollout(model, queries: queries, generator: &generator)
        var ours: [Double] = []
        var theirs: [Double] = []
        for pair in 0..<pairs {
            if pair % 2 == 0, let server { theirs.append(try server.step()) }
            let start = Clock.seconds()
            tokens = try rollout(model, queries: queries, generator: &generator)
            ours.append(Clock.seconds() - start)
            if pair % 2 == 1, let server { theirs.append(try server.step()) }
        }
        server?.finish()
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var paired = report
        var note = "\(tokens) tokens a rollout; median of \(pairs) rollouts after one warm-up"
        if !theirs.isEmpty {
            paired.reference[name] = Double(tokens) / median(theirs)
            let ratios = zip(ours, theirs).map { $1 / $0 }
            let listed = ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")
            note +=
                ", alternating with TRL's; Detox's tokens/s ÷ TRL's, pair by pair: \(listed) "
                + "(median \(String(format: "%.2f", median(ratios))); target ≥ 2.5)"
        }
        paired.print(
            Figure(name: name, value: Double(tokens) / median(ours), unit: "tokens/s", higherIsBetter: true),
            note: note)
    }
}
