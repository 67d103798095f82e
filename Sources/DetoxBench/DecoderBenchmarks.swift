import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxQuantization
import DetoxTensor
import Foundation

/// The decoder-only figures of issue 17, on randomly initialised `gpt2`-shaped (124M) and
/// `SmolLM2-135M`-shaped (Llama) models, each beside the figure of the same name that
/// `Scripts/bench/decoder_bench.py` measures with PyTorch, transformers and PEFT in the same
/// `make bench` run; and the peak resident memory of a `Qwen2.5-0.5B`-shaped NF4 model generating,
/// measured in a child process on each side. Shapes, seeds and repeat counts are the Python side's.
///
/// Parts (`--only`): `decoder` runs them all; `decoder-forward`, `decoder-sample`, `decoder-lora`
/// and `decoder-memory` one each.
enum DecoderBenchmarks {
    static let parts = ["decoder-forward", "decoder-sample", "decoder-lora", "decoder-memory"]

    // Shapes of the issue: forward and LoRA on 8 × 128 tokens; TRL's toxicity rollout shapes for
    // sampling (16 prompts of 10–40 tokens, left-padded, 30 new tokens, top_k 0, top_p 1).
    static let batch = 8, length = 128
    static let promptCount = 16, newTokens = 30
    static let loraRank = 16
    /// Prompt `i` has `10 + 7·i mod 31` tokens (10…40), as `PROMPT_LENGTHS` in decoder_bench.py.
    static let promptLengths = (0..<promptCount).map { 10 + (7 * $0) % 31 }

    /// One benchmarked family: its name in the figures, how to build it, its LoRA targets.
    struct Family: Sendable {
        let name: String
        let build: @Sendable () throws -> any CausalTransformer & LanguageModel
        let loraTargets: [String]
    }

    static let families = [
        Family(
            name: "gpt2", build: { try GPT2LMHeadModel(configuration: GPT2Configuration(), seed: 0) },
            loraTargets: ["c_attn"]),
        Family(
            name: "smollm2-135m", build: { try LlamaForCausalLM(llama: smolLM2(), seed: 0) },
            loraTargets: ["q_proj", "v_proj"]),
    ]

    /// `HuggingFaceTB/SmolLM2-135M`'s shape.
    static func smolLM2() -> LlamaConfiguration {
        var configuration = LlamaConfiguration()
        configuration.vocabularySize = 49152
        configuration.hiddenSize = 576
        configuration.intermediateSize = 1536
        configuration.layerCount = 30
        configuration.headCount = 9
        configuration.keyValueHeadCount = 3
        configuration.maxPositionEmbeddings = 8192
        configuration.rmsNormEpsilon = 1e-5
        configuration.ropeTheta = 100_000
        configuration.tieWordEmbeddings = true
        configuration.bosTokenID = 0
        configuration.eosTokenID = 0
        return configuration
    }

    /// `Qwen/Qwen2.5-0.5B`'s shape (q/k/v biases, tied head).
    static func qwen25() -> Qwen2Configuration {
        var configuration = Qwen2Configuration()
        configuration.vocabularySize = 151_936
        configuration.hiddenSize = 896
        configuration.intermediateSize = 4864
        configuration.layerCount = 24
        configuration.headCount = 14
        configuration.keyValueHeadCount = 2
        configuration.rmsNormEpsilon = 1e-6
        configuration.ropeTheta = 1_000_000
        configuration.tieWordEmbeddings = true
        configuration.bosTokenID = 151_643
        configuration.eosTokenID = 151_643
        return configuration
    }

    // MARK: - Names (the keys of decoder_bench.py's figures)

    static func forwardName(_ family: String) -> String { "\(family) forward 8x128 ms" }
    static func sampleName(_ family: String) -> String { "\(family) sample 16x10-40 +30 tokens/s" }
    static func loraName(_ family: String) -> String { "\(family) lora r16 train step 8x128 ms" }
    static let memoryName = "qwen2.5-0.5b nf4 sample 16x10-40 +8 peak RSS MB"
    /// New tokens of the NF4 memory case: fewer than ``newTokens``, as `MEMORY_NEW_TOKENS` in
    /// decoder_bench.py (bitsandbytes' CPU 4-bit path takes seconds a token).
    static let memoryNewTokens = 8

    // MARK: - Inputs

    /// Random ids in `1..<vocabularySize`, never `eos`.
    static func randomRow(count: Int, vocabularySize: Int, eos: Int, generator: inout SeededGenerator) -> [Int] {
        (0..<count).map { _ in
            let id = 1 + generator.nextInt(below: vocabularySize - 1)
            return id == eos ? 1 : id
        }
    }

    /// Pure sampling (`top_k=0`, `top_p=1`), exactly ``newTokens`` tokens per row.
    static func sampling(pad: Int, seed: UInt64, newTokens: Int) -> GenerationConfig {
        GenerationConfig(
            doSample: true, topK: 0, topP: 1, minNewTokens: newTokens, maxNewTokens: newTokens, padTokenID: pad,
            seed: seed)
    }

    /// Samples `newTokens` tokens for the ``promptLengths`` prompts (left-padded); returns the count.
    static func sample(
        _ model: any CausalTransformer & LanguageModel, prompts: CausalInputs, seed: UInt64,
        newTokens: Int = newTokens
    ) throws -> Int {
        var sampler = SeededGenerator(seed: seed)
        let output = try (model as any LanguageModel).generate(
            inputIDs: prompts.ids.chunked(prompts.length), attentionMask: prompts.mask,
            configuration: sampling(pad: model.padTokenID, seed: seed, newTokens: newTokens), generator: &sampler)
        return output.generatedCounts.reduce(0, +)
    }

    static func makePrompts(for model: any CausalTransformer & LanguageModel, generator: inout SeededGenerator) throws
        -> CausalInputs
    {
        let rows = promptLengths.map {
            randomRow(count: $0, vocabularySize: model.vocabularySize, eos: model.eosTokenID, generator: &generator)
        }
        return try CausalInputs.leftPadded(rows, pad: model.padTokenID, vocabularySize: model.vocabularySize)
    }

    // MARK: - Forward, sampling, LoRA step

    static func run(report: Report, parts: Set<String>) throws {
        for family in families where !parts.isDisjoint(with: ["decoder-forward", "decoder-sample", "decoder-lora"]) {
            try run(family, report: report, parts: parts)
        }
        if parts.contains("decoder-memory") { try runMemory(report: report) }
    }

    static func run(_ family: Family, report: Report, parts: Set<String>) throws {
        let model = try family.build()
        var generator = SeededGenerator(seed: 1)
        let rows = (0..<batch).map { _ in
            randomRow(count: length, vocabularySize: model.vocabularySize, eos: model.eosTokenID, generator: &generator)
        }
        let inputs = try CausalInputs(ids: rows, vocabularySize: model.vocabularySize)

        if parts.contains("decoder-forward") {
            let name = forwardName(family.name)
            let forward = try ModelBenchmarks.time(name, .forward, report: report) {
                _ = try Tensor.withNoGrad { try model.forward(inputs) }
            }
            report.print(
                Figure(name: name, value: forward.seconds * 1e3, unit: "ms", higherIsBetter: false),
                note: forward.note)
        }
        if parts.contains("decoder-sample") {
            let name = sampleName(family.name)
            let prompts = try makePrompts(for: model, generator: &generator)
            var generated = 0
            let generation = try ModelBenchmarks.time(name, .generation, report: report) {
                generated = try sample(model, prompts: prompts, seed: 2)
            }
            report.print(
                Figure(
                    name: name, value: Double(promptCount * newTokens) / generation.seconds, unit: "tokens/s",
                    higherIsBetter: true),
                note: String(format: "%.2f s for %d tokens; ", generation.seconds, generated) + generation.note)
        }
        if parts.contains("decoder-lora") {
            let name = loraName(family.name)
            var adapterGenerator = SeededGenerator(seed: 3)
            let configuration = LoRAConfiguration(
                rank: loraRank, alpha: Float(loraRank), targets: .names(family.loraTargets), taskType: "CAUSAL_LM")
            let adapted = try LoRA.apply(configuration, to: model, generator: &adapterGenerator)
            model.setTraining(true)
            let optimizer = try Adam(module: model, learningRate: 1e-4, decoupledWeightDecay: true)
            let step = try ModelBenchmarks.time(name, .trainingStep, report: report) {
                guard let loss = try model.forward(inputs, labels: rows).loss else { return }
                try optimizer.step(grads: try loss.backward())
            }
            report.print(
                Figure(name: name, value: step.seconds * 1e3, unit: "ms", higherIsBetter: false),
                note: "\(adapted.count) adapters on \(family.loraTargets.joined(separator: ",")); " + step.note)
        }
    }

    // MARK: - NF4 memory, in a child process

    /// The argument that makes `detox-bench` the memory child (``memoryChild()``) instead.
    static let childFlag = "--decoder-memory-child"

    /// Runs this executable as the memory child and prints its figure with the load figures.
    static func runMemory(report: Report) throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = [childFlag]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let lastLine = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard child.terminationStatus == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Double],
            let peak = object["generate_peak_mb"]
        else {
            print("\(memoryName): the child failed (status \(child.terminationStatus)): \(lastLine)")
            return
        }
        var note = String(
            format: "resident after loading %.0f MB (peak while building and quantizing %.0f MB); %.1f s generating",
            object["loaded_mb"] ?? .nan, object["load_peak_mb"] ?? .nan, object["seconds"] ?? .nan)
        if let theirs = report.reference["python loaded MB: \(memoryName)"] {
            note += String(format: "; Python resident after loading %.0f MB", theirs)
        }
        report.print(
            Figure(name: memoryName, value: peak, unit: "MB", higherIsBetter: false), note: note, comparison: .value)
    }

    /// The child: builds the Qwen2.5-0.5B-shaped model (seeded), quantizes every linear layer but the
    /// (tied) head to NF4 with double quantization, returns freed heap pages to the kernel, resets the
    /// peak resident size (`/proc/self/clear_refs`), samples ``memoryNewTokens`` tokens for the 16
    /// prompts, and prints one JSON line:
    /// the peak while generating, the resident size after loading, the peak while loading, seconds.
    static func memoryChild() throws {
        let model = try LlamaForCausalLM(qwen2: qwen25(), seed: 0)
        try model.replaceLinearLayers(
            where: { !model.keepsFullPrecision(linearAt: $0) },
            with: { _, layer in
                guard let linear = layer as? Linear else { return layer }
                return try Linear4Bit(linear: linear, type: .nf4, doubleQuantization: true)
            })
        trimHeap()
        let loadPeak = ResidentMemory.peakMB()
        let loaded = ResidentMemory.currentMB()
        ResidentMemory.resetPeak()
        var generator = SeededGenerator(seed: 1)
        let prompts = try makePrompts(for: model, generator: &generator)
        let start = Clock.seconds()
        _ = try sample(model, prompts: prompts, seed: 2, newTokens: memoryNewTokens)
        let seconds = Clock.seconds() - start
        let figures = [
            "generate_peak_mb": ResidentMemory.peakMB(), "loaded_mb": loaded, "load_peak_mb": loadPeak,
            "seconds": seconds,
        ]
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// glibc's `malloc_trim(0)`, looked up at run time (Detox keeps freed heap pages by default; the
    /// f32 weights freed by quantization would otherwise stay resident). Python does the same.
    static func trimHeap() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        typealias Trim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
}

/// The process's resident set size from `/proc/self/status` (Linux).
enum ResidentMemory {
    static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
            return (kilobytes ?? .nan) / 1024
        }
        return .nan
    }

    /// `VmHWM`: the peak resident size since the start or the last ``resetPeak()``, in MiB.
    static func peakMB() -> Double { field("VmHWM") }
    /// `VmRSS`, in MiB.
    static func currentMB() -> Double { field("VmRSS") }
    /// Resets `VmHWM` to the current resident size (writes 5 to `/proc/self/clear_refs`).
    static func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }
}

extension Array {
    /// Consecutive slices of `size` elements.
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
