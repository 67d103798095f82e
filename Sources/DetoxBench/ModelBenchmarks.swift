import DetoxDistributed
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxQuantization
import DetoxTensor
import DetoxTraining
import Foundation

/// The model, PEFT and PPO figures of the issues, on a randomly initialised t5-small-sized model
/// (transformers' `T5Config()` defaults), each beside the figure of the same name that
/// `Scripts/bench/model_bench.py` measures with PyTorch, transformers, PEFT, bitsandbytes and TRL
/// in the same `make bench` run. The shapes, seeds and repeat counts are the Python side's.
///
/// The big cases run a few times only (one warm-up, median of three or fewer; see ``Repeats``) so
/// that the whole `make bench` stays within minutes on a two-core machine.
enum ModelBenchmarks {
    // Shapes of the issues.
    static let batch = 8, sourceLength = 256, targetLength = 64, newTokens = 64
    static let ppoBatch = 16, ppoMiniBatch = 4, ppoEpochs = 4
    static let loraRank = 32
    /// Token ids are drawn from `2..<32100`: not pad (0) or EOS (1), nor t5-small's unused rows.
    static let idRange = 2..<32100

    /// How each case is timed: one warm-up run, then the median of up to three runs, as many as fit in
    /// the budget (seconds) judging by the first (an odd count, at least one); the same as
    /// `REPEATS` in model_bench.py. Keeps `make bench` within minutes on a two-core machine.
    struct Repeats {
        let warmup: Int, repeats: Int, budget: Double
        static let forward = Repeats(warmup: 1, repeats: 3, budget: 20)
        static let generation = Repeats(warmup: 1, repeats: 3, budget: 30)
        static let trainingStep = Repeats(warmup: 1, repeats: 3, budget: 30)
        static let ppoStep = Repeats(warmup: 1, repeats: 3, budget: 60) // without Python to pair with
        static let rollout = Repeats(warmup: 1, repeats: 3, budget: 25)
    }

    /// Times `body` as `repeats` says; returns the median and a note on the runs on both sides.
    static func time(_ name: String, _ repeats: Repeats, report: Report, _ body: () throws -> Void) rethrows -> (
        seconds: Double, note: String
    ) {
        let (seconds, runs) = try Clock.median(
            warmup: repeats.warmup, repeats: repeats.repeats, budget: repeats.budget, body)
        var note = "median of \(runs) after \(repeats.warmup) warm-up"
        if let theirs = report.referenceRuns(name) { note += " (Python: of \(theirs))" }
        return (seconds, note)
    }

    // MARK: - Names (the keys of model_bench.py's figures)

    static let forwardName = "t5-small forward 8x256→64 ms"
    static let sampleName = "t5-small sample 8x256 +64 tokens/s"
    static let loraStepName = "lora r32 q,v train step 8x256→64 ms"
    static let qloraStepName = "qlora nf4 r32 q,v train step 8x256→64 ms"
    static let nf4ModelBytesName = "nf4 base resident bytes / f32"
    static let nf4LayerBytesName = "nf4 quantized layers bytes / f32"
    static let ppoStepName = "ppo step 16x256→65 mb4 ep4 s"
    static let rolloutName = "ppo rollout sample 16x256 +64 tokens/s"

    // MARK: - Inputs

    static func model(seed: UInt64 = 0) throws -> T5ForConditionalGeneration {
        try T5ForConditionalGeneration(configuration: T5Configuration(), seed: seed)
    }

    static var loraConfiguration: LoRAConfiguration {
        LoRAConfiguration(rank: loraRank, alpha: Float(loraRank), targets: .names(["q", "v"]))
    }

    /// `rows` rows of `length` random ids; the last id of each row is EOS (1) when `endWithEOS`.
    static func randomIDs(rows: Int, length: Int, endWithEOS: Bool = true, generator: inout SeededGenerator) -> [[Int]]
    {
        (0..<rows).map { _ in
            var row = (0..<length).map { _ in idRange.lowerBound + generator.nextInt(below: idRange.count) }
            if endWithEOS { row[length - 1] = 1 }
            return row
        }
    }

    static func ones(_ ids: [[Int]]) -> [[Int]] { ids.map { [Int](repeating: 1, count: $0.count) } }

    /// Pure sampling (`top_k=0`, `top_p=1`), exactly `newTokens` tokens per row: EOS is suppressed
    /// until then (`min_new_tokens = max_new_tokens`).
    static func sampling(seed: UInt64) -> GenerationConfig {
        GenerationConfig(doSample: true, topK: 0, topP: 1, minNewTokens: newTokens, maxNewTokens: newTokens, seed: seed)
    }

    /// Replaces every linear layer but `lm_head` and the feed-forward `wo` projections with an NF4
    /// layer with double quantization, as `PolicyLoading.quantize` (and transformers with
    /// bitsandbytes) does. Returns the count.
    @discardableResult
    static func quantizeNF4(_ model: T5ForConditionalGeneration) throws -> Int {
        try model.replaceLinearLayers(
            where: { $0 != "lm_head" && !$0.hasSuffix(".wo") },
            with: { _, layer in
                guard let linear = layer as? Linear else { return layer }
                return try Linear4Bit(linear: linear, type: .nf4, doubleQuantization: true)
            }
        ).count
    }

    // MARK: - Models: forward and generation

    /// Teacher-forced forward (with the loss) of batch 8 × 256 source / 64 target tokens, and
    /// sampled generation of 64 new tokens for the same sources.
    /// `parts` picks `forward` and/or `sample` (for profiling one of them).
    static func runModels(report: Report, parts: Set<String> = ["forward", "sample"]) throws {
        let model = try model(seed: 0)
        var generator = SeededGenerator(seed: 1)
        let inputIDs = randomIDs(rows: batch, length: sourceLength, generator: &generator)
        let labels = randomIDs(rows: batch, length: targetLength, generator: &generator)
        let mask = ones(inputIDs)

        if parts.contains("forward") {
            let forward = try time(forwardName, .forward, report: report) {
                _ = try Tensor.withNoGrad { try model(inputIDs: inputIDs, attentionMask: mask, labels: labels) }
            }
            report.print(
                Figure(name: forwardName, value: forward.seconds * 1e3, unit: "ms", higherIsBetter: false),
                note: forward.note)
        }
        guard parts.contains("sample") else { return }

        var generated = 0
        let generation = try time(sampleName, .generation, report: report) {
            let output = try model.generate(inputIDs: inputIDs, attentionMask: mask, configuration: sampling(seed: 2))
            generated = output.generatedCounts.reduce(0, +)
        }
        report.print(
            Figure(
                name: sampleName, value: Double(batch * newTokens) / generation.seconds, unit: "tokens/s",
                higherIsBetter: true),
            note: String(format: "%.2f s for %d tokens; ", generation.seconds, generated) + generation.note)
    }

    // MARK: - PEFT: LoRA and QLoRA training steps, NF4 footprint

    /// One LoRA training step (forward with the loss, backward, AdamW) on the f32 base and on the
    /// NF4 base, and the resident bytes of the NF4 base against the same model in f32.
    /// `parts` picks `lora` (f32 base) and/or `qlora` (NF4 base, with the footprint figures).
    static func runLoRA(report: Report, parts: Set<String> = ["lora", "qlora"]) throws {
        var generator = SeededGenerator(seed: 1)
        let inputIDs = randomIDs(rows: batch, length: sourceLength, generator: &generator)
        let labels = randomIDs(rows: batch, length: targetLength, generator: &generator)
        let mask = ones(inputIDs)

        func trainingStep(_ model: T5ForConditionalGeneration, name: String) throws -> (seconds: Double, note: String) {
            var adapterGenerator = SeededGenerator(seed: 3)
            try LoRA.apply(loraConfiguration, to: model, generator: &adapterGenerator)
            model.setTraining(true)
            let optimizer = try Adam(module: model, learningRate: 1e-4, decoupledWeightDecay: true)
            return try time(name, .trainingStep, report: report) {
                guard let loss = try model(inputIDs: inputIDs, attentionMask: mask, labels: labels).loss else { return }
                try optimizer.step(grads: try loss.backward())
            }
        }

        if parts.contains("lora") {
            let loraStep = try trainingStep(try model(seed: 0), name: loraStepName)
            report.print(
                Figure(name: loraStepName, value: loraStep.seconds * 1e3, unit: "ms", higherIsBetter: false),
                note: loraStep.note)
        }
        guard parts.contains("qlora") else { return }

        let base = try model(seed: 0)
        let f32Bytes = base.quantizedFootprint.totalBytes // 4 × parameter count
        let layers = try quantizeNF4(base)
        let footprint = base.quantizedFootprint
        let qloraStep = try trainingStep(base, name: qloraStepName)
        report.print(
            Figure(name: qloraStepName, value: qloraStep.seconds * 1e3, unit: "ms", higherIsBetter: false),
            note: "\(layers) NF4 layers; " + qloraStep.note)

        let modelRatio = Double(footprint.totalBytes) / Double(f32Bytes)
        report.print(
            Figure(name: nf4ModelBytesName, value: modelRatio, unit: "×", higherIsBetter: false),
            note: String(
                format:
                    "%.1f MB vs %.1f MB f32; target ≤ 0.15×: %@ (the f32 shared embedding and wo layers are %.1f MB)",
                Double(footprint.totalBytes) / 1e6, Double(f32Bytes) / 1e6, modelRatio <= 0.15 ? "met" : "not met",
                Double(footprint.float32Bytes) / 1e6),
            comparison: .value)
        let layerRatio = Double(footprint.fourBitBytes) / Double(4 * footprint.fourBitValueCount)
        report.print(
            Figure(name: nf4LayerBytesName, value: layerRatio, unit: "×", higherIsBetter: false),
            note: String(
                format: "%.1f MB for %d weights; target ≤ 0.15×: %@", Double(footprint.fourBitBytes) / 1e6,
                footprint.fourBitValueCount, layerRatio <= 0.15 ? "met" : "not met"),
            comparison: .value)
    }

    // MARK: - PPO step and rollout

    /// One PPO step (batch 16, mini-batch 4, 4 epochs, 256 source / 65 response tokens) of a
    /// t5-small-sized policy with an r=32 LoRA on q,v and a value head, and the rollout generation
    /// of 64 sampled tokens for the same 16 queries. With `python` (the virtual environment's
    /// interpreter) the steps alternate with TRL's, run by ``PythonStepServer``.
    static let pairedPPOSteps = 5

    static func phases(_ stats: [String: Double]) -> String {
        String(
            format: "forward passes %.1f s, optimization %.1f s; ",
            stats["time/ppo/forward_pass"] ?? .nan, stats["time/ppo/optimize_step"] ?? .nan)
    }

    /// The PPO case's trainer (on `communicator`'s ranks) and its fixed batch: random queries and
    /// responses, normal scores.
    static func ppoCase(communicator: any Communicator = SingleProcessCommunicator()) throws -> (
        PPOTrainer, PPOBatch
    ) {
        let base = try model(seed: 0)
        var adapterGenerator = SeededGenerator(seed: 3)
        try LoRA.apply(loraConfiguration, to: base, generator: &adapterGenerator)
        let policy = T5WithValueHead(model: base, seed: 0)
        var configuration = PPOConfiguration()
        configuration.batchSize = ppoBatch
        configuration.miniBatchSize = ppoMiniBatch
        configuration.ppoEpochs = ppoEpochs
        let trainer = try PPOTrainer(policy: policy, configuration: configuration, communicator: communicator)

        var generator = SeededGenerator(seed: 4)
        let queries = randomIDs(rows: ppoBatch, length: sourceLength, generator: &generator)
        // As generation returns them: the decoder start (0), 63 tokens, EOS (1).
        let responses = randomIDs(rows: ppoBatch, length: 1 + newTokens, generator: &generator).map {
            [0] + $0.dropFirst()
        }
        let scores = (0..<ppoBatch).map { _ in generator.nextNormal() }
        return (trainer, PPOBatch(queries: queries, responses: responses, scores: scores))
    }

    static func runPPO(report: Report, python: String?) throws {
        let (trainer, ppoBatchInputs) = try ppoCase()
        let policy = trainer.policy.model
        let queries = ppoBatchInputs.queries

        var stats: [String: Double] = [:]
        if let python {
            // Alternate with TRL's steps in a Python process, one warm-up step each, then pairs in
            // the order TRL, Detox / Detox, TRL / TRL, Detox.
            let server = try PythonStepServer(python: python)
            _ = try server.step()
            stats = try trainer.step(ppoBatchInputs)
            var ours: [Double] = []
            var theirs: [Double] = []
            for pair in 0..<pairedPPOSteps {
                if pair % 2 == 0 { theirs.append(try server.step()) }
                let start = Clock.seconds()
                stats = try trainer.step(ppoBatchInputs)
                ours.append(Clock.seconds() - start)
                if pair % 2 == 1 { theirs.append(try server.step()) }
            }
            server.finish()
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            var paired = report
            paired.reference[ppoStepName] = median(theirs)
            let ratios = zip(ours, theirs).map { $0 / $1 }
            let listed = ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")
            paired.print(
                Figure(name: ppoStepName, value: median(ours), unit: "s", higherIsBetter: false),
                note: phases(stats)
                    + "medians of \(pairedPPOSteps) steps each, taken alternately with TRL's after one warm-up each; "
                    + "Detox's time / TRL's, pair by pair: \(listed) (median \(String(format: "%.2f", median(ratios))))"
            )
        } else {
            let step = try time(ppoStepName, .ppoStep, report: report) {
                stats = try trainer.step(ppoBatchInputs)
            }
            report.print(
                Figure(name: ppoStepName, value: step.seconds, unit: "s", higherIsBetter: false),
                note: phases(stats) + step.note)
        }

        let mask = ones(queries)
        var generated = 0
        let rollout = try time(rolloutName, .rollout, report: report) {
            var sampler = SeededGenerator(seed: 5)
            let output = try policy.generate(
                inputIDs: queries, attentionMask: mask, configuration: sampling(seed: 5), generator: &sampler)
            generated = output.generatedCounts.reduce(0, +)
        }
        report.print(
            Figure(
                name: rolloutName, value: Double(ppoBatch * newTokens) / rollout.seconds, unit: "tokens/s",
                higherIsBetter: true),
            note: String(format: "%.2f s for %d tokens; ", rollout.seconds, generated) + rollout.note)
    }
}
