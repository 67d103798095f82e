import DetoxNN
import DetoxTensor
import Foundation

// `make bench` runs this in release mode. With `--reference FILE` (written by
// Scripts/bench/torch_bench.py in the same run) each figure is printed beside PyTorch's; with
// `--python PATH` the PPO steps alternate with TRL's, run by that interpreter (see PythonStepServer).
// `--only SECTIONS` (comma-separated: core, tokenizers, models, lora, ppo, ppo-mpi, decoder,
// causal-ppo, causal-rollout) runs only those sections; forward, sample, lora-f32 and qlora run one
// part of models or lora (for profiling), and decoder-forward, decoder-sample, decoder-lora and
// decoder-memory one part of decoder.

guard BLASRuntime.selfCheck() else {
    print("error: the BLAS kernels (\(BLASRuntime.kernelName)) computed a wrong product")
    exit(1)
}
print("BLAS kernels: \(BLASRuntime.kernelName), \(Parallel.coreCount) cores")

let arguments = CommandLine.arguments
if arguments.contains(DecoderBenchmarks.childFlag) {
    try DecoderBenchmarks.memoryChild()
    exit(0)
}
let referencePath = arguments.firstIndex(of: "--reference").flatMap {
    arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil
}
let report = Report(referencePath: referencePath)
var generator = SeededGenerator(seed: 0)
let onlySections = arguments.firstIndex(of: "--only").flatMap {
    arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil
}
.map { Set($0.split(separator: ",").map(String.init)) }
func wants(_ section: String) -> Bool { onlySections?.contains(section) ?? true }

// MARK: - Matrix products through the engine (Tensor.matmul) versus a raw Tensor.gemm call

if wants("core") {
    for (m, k, n) in [(512, 512, 512), (2048, 512, 2048), (2048, 2048, 512)] {
        let a = Tensor.randomNormal([m, k], generator: &generator)
        let b = Tensor.randomNormal([n, k], generator: &generator)
        let flops = 2.0 * Double(m * n * k)
        let engine = Tensor.withNoGrad { Clock.median { _ = a.matmul(b, transposeOther: true) } }
        let out = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { out.deallocate() }
        let raw = Clock.median {
            Tensor.gemm(
                transposeA: false, transposeB: true, m: m, n: n, k: k,
                a: a.storage.pointer, b: b.storage.pointer, c: out)
        }
        let engineRate = flops / engine / 1e9
        let rawRate = flops / raw / 1e9
        report.print(
            Figure(name: "sgemm \(m)x\(k)x\(n) GFLOP/s", value: engineRate, unit: "GFLOP/s", higherIsBetter: true),
            note: String(
                format: "raw Tensor.gemm %.1f GFLOP/s, engine at %.0f%% of raw", rawRate, 100 * engineRate / rawRate))
    }
}

// MARK: - A small forward/backward step

// linear(512→2048) → gelu → linear(2048→512) → layernorm → cross-entropy over 512 classes,
// 2048 rows (batch 8 × 256 tokens): the shape of a t5-small feed-forward block.
if wants("core") {
    let rows = 2048
    let width = 512
    let hidden = 2048
    let up = Linear(width, hidden, generator: &generator)
    let down = Linear(hidden, width, generator: &generator)
    let norm = LayerNorm(dimension: width)
    let x = Tensor.randomNormal([rows, width], generator: &generator)
    let targets = (0..<rows).map { _ in generator.nextInt(below: width) }
    let forward = try Clock.median {
        _ = try Tensor.withNoGrad { try Losses.crossEntropy(norm(down(up(x).gelu())), targets: targets) }
    }
    report.print(Figure(name: "mlp forward ms", value: forward * 1e3, unit: "ms", higherIsBetter: false))
    let step = try Clock.median {
        let loss = try Losses.crossEntropy(norm(down(up(x).gelu())), targets: targets)
        _ = try loss.backward()
    }
    report.print(Figure(name: "mlp forward+backward ms", value: step * 1e3, unit: "ms", higherIsBetter: false))
}

// MARK: - Tokenizers

if wants("tokenizers") {
    let fixtures = URL(fileURLWithPath: "Tests/DetoxTokenizersTests/Fixtures")
    if FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("corpus.json").path) {
        try TokenizerBenchmark.run(fixtures: fixtures, report: report)
    } else {
        print("tokenizers: run from the repository root to benchmark the fixture tokenizers")
    }
}

// MARK: - Models, LoRA/QLoRA, PPO (t5-small-sized, beside transformers, PEFT, bitsandbytes, TRL)

// Finer names run one part (for profiling): forward, sample, lora-f32, qlora.
if wants("models") {
    try ModelBenchmarks.runModels(report: report)
} else if wants("forward") || wants("sample") {
    try ModelBenchmarks.runModels(report: report, parts: Set(["forward", "sample"].filter(wants)))
}
if wants("lora") {
    try ModelBenchmarks.runLoRA(report: report)
} else if wants("lora-f32") || wants("qlora") {
    try ModelBenchmarks.runLoRA(
        report: report, parts: Set((wants("lora-f32") ? ["lora"] : []) + (wants("qlora") ? ["qlora"] : [])))
}
let pythonPath = arguments.firstIndex(of: "--python").flatMap {
    arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil
}
if wants("ppo") { try ModelBenchmarks.runPPO(report: report, python: pythonPath) }

// The t5-small PPO step on this process's ranks (`--only ppo-mpi`, alone or under `mpirun`), for
// Scripts/bench/mpi_bench.sh; `--steps N` timed steps after one warm-up (default 2). Never part of a
// run without `--only`.
if onlySections?.contains("ppo-mpi") == true {
    let steps = arguments.firstIndex(of: "--steps").flatMap {
        arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil
    }
    try DistributedPPOBenchmark.run(steps: max(1, steps ?? 2))
}

// MARK: - Decoder-only models (gpt2 and SmolLM2-135M shapes, Qwen2.5-0.5B NF4 memory)

if wants("decoder") {
    try DecoderBenchmarks.run(report: report, parts: Set(DecoderBenchmarks.parts))
} else if DecoderBenchmarks.parts.contains(where: wants) {
    try DecoderBenchmarks.run(report: report, parts: Set(DecoderBenchmarks.parts.filter(wants)))
}

// MARK: - Decoder-only PPO (gpt-neo-125M-shaped, full and LoRA policies, beside TRL)

// `causal-ppo` runs both policies; `causal-ppo-full` or `causal-ppo-lora` one of them; `--pairs N`
// times N steps on each side instead of 5.
let causalKinds = ["lora", "full"].filter { wants("causal-ppo") || wants("causal-ppo-\($0)") }
let pairs = arguments.firstIndex(of: "--pairs").flatMap {
    arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil
}
if !causalKinds.isEmpty {
    try CausalPPOBenchmark.run(
        report: report, python: pythonPath, kinds: causalKinds, pairedSteps: max(1, pairs ?? 5))
}

// MARK: - Decoder-only rollout (gpt-neo-125M-shaped, TRL's toxicity example, beside TRL)

// `causal-rollout`: `--pairs N` times N rollouts on each side instead of 5.
if wants("causal-rollout") {
    try CausalRolloutBenchmark.run(report: report, python: pythonPath, pairs: max(1, pairs ?? 5))
}
