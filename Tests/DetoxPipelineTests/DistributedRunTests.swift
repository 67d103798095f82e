import DetoxCheckpoints
import DetoxDistributed
import DetoxLoRA
import DetoxModels
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// The `detox` binary under `mpirun -np 2` against one process on the same global batch: the same
/// parameters and statistics after fine-tuning, the same evaluation report, resuming with another
/// number of ranks, and a killed rank ending the job. Skipped (with the reason printed) where
/// `mpirun` or the built `detox` binary is missing.
@Suite(.serialized) struct DistributedRunTests {
    /// Relative tolerance of parameters and logged statistics, 2 ranks against 1 process: the ranks
    /// sum row-weighted partial gradients, which rounds differently from one batch's mean.
    static let tolerance: Float = 1e-5

    /// The `detox` executable beside the test bundle, and `mpirun` on the path, or why not.
    static func tools() -> (detox: String, mpirun: String)? {
        let folder =
            Bundle.main.executableURL?.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("detox").path }
        guard let detox = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("DistributedRunTests skipped: no detox binary in \(folder.path)")
            return nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard
            let mpirun = path.split(separator: ":").map({ "\($0)/mpirun" }).first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            print("DistributedRunTests skipped: mpirun is not on the PATH (Scripts/install-deps.sh installs Open MPI)")
            return nil
        }
        return (detox, mpirun)
    }

    struct Launch {
        var status: Int32
        var output: String
        var seconds: Double
        var timedOut: Bool
    }

    /// Runs `arguments` (alone, or under `mpirun -np ranks`) with a deadline; output and errors
    /// go to a file so a full pipe never blocks the child.
    static func launch(
        _ tools: (detox: String, mpirun: String), ranks: Int, _ arguments: [String], in folder: URL,
        environment extra: [String: String] = [:], timeout: Double = 120
    ) throws -> Launch {
        let process = Process()
        if ranks == 0 {
            process.executableURL = URL(fileURLWithPath: tools.detox)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tools.mpirun)
            var mpiArguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)"]
            for key in extra.keys.sorted() { mpiArguments += ["-x", key] }
            process.arguments = mpiArguments + [tools.detox] + arguments
        }
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_")
        }
        // One thread per process: the runs are tiny, and a team of 2 on cores that other work
        // also loads only spins.
        environment["OMP_NUM_THREADS"] = "1"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let log = folder.appendingPathComponent("launch-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                process.terminate()
                Thread.sleep(forTimeInterval: 2)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Launch(
            status: process.terminationStatus, output: output, seconds: Date().timeIntervalSince(start),
            timedOut: timedOut)
    }

    /// The mini world with dropout off in the model, so one process and two ranks see the same masks
    /// (none): the tiny T5, the reward classifier and the training dialogues.
    static func world(at folder: URL) throws -> (t5: URL, reward: URL, data: URL) {
        let world = try MiniWorld.build(at: folder)
        let config = world.t5.appendingPathComponent("config.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        object["dropout_rate"] = 0.0
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: config)
        return world
    }

    static func fineTuneArguments(
        _ world: (model: URL, data: URL), out: URL, steps: Int = 6, loraDropout: String = "0"
    ) -> [String] {
        [
            "finetune", "--model", world.model.path, "--train", world.data.path, "--validation", world.data.path,
            "--out", out.path, "--steps", "\(steps)", "--batch-size", "5", "--gradient-accumulation", "2",
            "--lora-rank", "2", "--lora-dropout", loraDropout, "--evaluate-every", "1", "--max-source-length", "48",
            "--learning-rate", "0.01",
        ]
    }

    /// Every tensor of a safetensors `file`.
    static func tensors(_ file: URL) throws -> [String: [Float]] {
        try SafeTensorsFile(url: file).tensors().mapValues(\.values)
    }

    /// Every adapter tensor of `run` (its final `adapter/` folder).
    static func adapter(_ run: URL) throws -> [String: [Float]] {
        try tensors(run.appendingPathComponent("adapter").appendingPathComponent("adapter_model.safetensors"))
    }

    /// The numbers of each line of a JSON-lines log (`run`'s `metrics.jsonl` unless `file` names another).
    static func metrics(_ run: URL, file: String = "metrics.jsonl") throws -> [[String: Double]] {
        try String(contentsOf: run.appendingPathComponent(file), encoding: .utf8).split(separator: "\n")
            .map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
                return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
            }
    }

    /// `actual` holds `expected`'s tensors to ``tolerance``, element-wise relative to each tensor's
    /// largest magnitude, or to `scale` when given.
    static func expectSameTensors(
        _ actual: [String: [Float]], _ expected: [String: [Float]], _ label: String, scale: Float? = nil
    ) throws {
        try #require(!expected.isEmpty)
        #expect(actual.keys.sorted() == expected.keys.sorted(), "\(label): tensor names")
        for (name, values) in expected {
            let scale = scale ?? values.map(abs).max() ?? 0
            let difference = TestSupport.closeness(actual[name] ?? [], values, rtol: 0, atol: tolerance * scale)
            #expect(difference == nil, "\(label): \(name): \(difference ?? "")")
        }
    }

    /// `actual` logs `expected`'s lines, each number to ``tolerance`` relative to itself, or to
    /// ``tolerance`` × `floor` where it is smaller than `floor`.
    static func expectSameLog(
        _ actual: [[String: Double]], _ expected: [[String: Double]], _ label: String, floor: Double = 0
    ) throws {
        try #require(!expected.isEmpty)
        #expect(actual.count == expected.count, "\(label): log lines")
        for (lineA, lineE) in zip(actual, expected) {
            #expect(lineA.keys.sorted() == lineE.keys.sorted(), "\(label): log keys")
            for (key, value) in lineE {
                let other = lineA[key] ?? .nan
                #expect(
                    abs(other - value) <= Double(tolerance) * max(abs(value), floor),
                    "\(label): \(key) \(other) vs \(value)")
            }
        }
    }

    /// `actual` equals `expected` to ``tolerance``: each adapter tensor element-wise relative to the
    /// tensor's largest magnitude, each logged number relative to itself.
    static func expectSameRun(_ actual: URL, _ expected: URL, _ label: String) throws {
        try expectSameTensors(try adapter(actual), try adapter(expected), label)
        try expectSameLog(try metrics(actual), try metrics(expected), label)
    }

    /// The report files of `evaluate-0` (one process) and `evaluate-2` (2 ranks) in `folder` are
    /// byte for byte the same.
    static func expectSameReports(_ folder: TemporaryFolder) throws {
        for name in ["comparison.json", "comparison.csv", "report.html"] {
            let one = try Data(contentsOf: folder.file("evaluate-0").appendingPathComponent(name))
            let two = try Data(contentsOf: folder.file("evaluate-2").appendingPathComponent(name))
            #expect(!one.isEmpty && one == two, "\(name) differs between 1 process and 2 ranks")
        }
    }

    /// Fine-tuning with 2 ranks equals one process; a 2-rank run killed after step 3 ends within a
    /// bounded time, leaves a checkpoint from which one process finishes the same run, and a
    /// one-process run killed after step 2 is finished by 2 ranks, also the same.
    @Test func fineTuningWithTwoRanksEqualsOneProcessAndResumesAcrossRankCounts() throws {
        guard let tools = Self.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try Self.world(at: folder.url)

        let single = folder.file("single")
        let alone = try Self.launch(
            tools, ranks: 0, Self.fineTuneArguments((world.t5, world.data), out: single), in: folder.url)
        try #require(alone.status == 0, "one process: \(alone.output)")
        let pair = folder.file("pair")
        let two = try Self.launch(
            tools, ranks: 2, Self.fineTuneArguments((world.t5, world.data), out: pair), in: folder.url)
        try #require(two.status == 0, "two ranks: \(two.output)")
        #expect(two.output.contains("on 2 ranks"), "progress lines show the world size")
        #expect(
            !FileManager.default.fileExists(atPath: pair.appendingPathComponent("checkpoint").path + ".tmp"),
            "no partial checkpoint")
        try Self.expectSameRun(pair, single, "2 ranks vs 1 process")

        // Rank 1 killed after step 3: the job ends, non-zero, well before the deadline.
        let killed = folder.file("killed")
        let drill = [FaultDrill.variable: "1:3"]
        let broken = try Self.launch(
            tools, ranks: 2, Self.fineTuneArguments((world.t5, world.data), out: killed), in: folder.url,
            environment: drill,
            timeout: 60)
        #expect(!broken.timedOut, "the job ended by itself after \(broken.seconds) s")
        #expect(broken.status != 0, "a killed rank fails the job: \(broken.output)")
        let logged = try Self.metrics(killed).count
        #expect(logged >= 2 && logged < 6, "stopped mid-run, at step \(logged)")
        // One process finishes it from the checkpoint.
        let resumed = try Self.launch(
            tools, ranks: 0, Self.fineTuneArguments((world.t5, world.data), out: killed), in: folder.url)
        try #require(resumed.status == 0, "resume with 1 process: \(resumed.output)")
        try Self.expectSameRun(killed, single, "2 ranks killed, resumed by 1 process")

        // One process killed after step 2; two ranks finish it.
        let grown = folder.file("grown")
        let stopped = try Self.launch(
            tools, ranks: 0, Self.fineTuneArguments((world.t5, world.data), out: grown), in: folder.url,
            environment: [FaultDrill.variable: "0:2"])
        #expect(stopped.status != 0)
        let finished = try Self.launch(
            tools, ranks: 2, Self.fineTuneArguments((world.t5, world.data), out: grown), in: folder.url)
        try #require(finished.status == 0, "resume with 2 ranks: \(finished.output)")
        try Self.expectSameRun(grown, single, "1 process killed, resumed by 2 ranks")
    }

    /// Ranks started with different settings stop at start-up with a message naming the mismatch.
    @Test func mismatchedSettingsAreRefused() throws {
        guard let tools = Self.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try Self.world(at: folder.url)
        // An MPMD launch: rank 0 and rank 1 get different learning rates.
        var first = Self.fineTuneArguments((world.t5, world.data), out: folder.file("a"))
        var second = first
        first += ["--seed", "1"]
        second += ["--seed", "2"]
        let process = try Self.launch(
            (tools.mpirun, tools.mpirun), ranks: 0,
            ["--allow-run-as-root", "--oversubscribe", "-np", "1", tools.detox] + first + [
                ":", "-np", "1", tools.detox,
            ]
                + second, in: folder.url, timeout: 60)
        #expect(process.status != 0)
        #expect(process.output.contains("differ from rank 0's"), "\(process.output)")
    }

    /// `evaluate` and `summarize` with 2 ranks write byte for byte what one process writes: the
    /// ranks generate whole batches each and rank 0 writes everything.
    @Test func evaluationAndSummariesWithTwoRanksEqualOneProcess() throws {
        guard let tools = Self.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let tuned = folder.file("tuned")
        let tune = try Self.launch(
            tools, ranks: 0,
            Self.fineTuneArguments((world.t5, world.data), out: tuned, steps: 2), in: folder.url)
        try #require(tune.status == 0, "\(tune.output)")
        for ranks in [0, 2] {
            let evaluate = try Self.launch(
                tools, ranks: ranks,
                [
                    "evaluate", "--model", world.t5.path, "--after", tuned.appendingPathComponent("adapter").path,
                    "--toxicity-model", world.reward.path, "--toxic-label", "offensive", "--data", world.data.path,
                    "--count", "11", "--max-new-tokens", "6", "--out", folder.file("evaluate-\(ranks)").path,
                ], in: folder.url)
            try #require(evaluate.status == 0, "evaluate with \(ranks) ranks: \(evaluate.output)")
            let summarize = try Self.launch(
                tools, ranks: ranks,
                [
                    "summarize", "--model", world.t5.path, "--data", world.data.path, "--limit", "7", "--batch-size",
                    "2", "--max-new-tokens", "5", "--output", folder.file("summaries-\(ranks).jsonl").path,
                ], in: folder.url)
            try #require(summarize.status == 0, "summarize with \(ranks) ranks: \(summarize.output)")
        }
        try Self.expectSameReports(folder)
        let one = try Data(contentsOf: folder.file("summaries-0.jsonl"))
        #expect(one.split(separator: UInt8(ascii: "\n")).count == 7)
        #expect(one == (try Data(contentsOf: folder.file("summaries-2.jsonl"))))
    }

    /// `train-classifier` with 2 ranks ends with the weights one process trains (dropout off).
    @Test func classifierTrainingWithTwoRanksEqualsOneProcess() throws {
        guard let tools = Self.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try MiniWorld.build(at: folder.url)
        let config = world.reward.appendingPathComponent("config.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        object["hidden_dropout_prob"] = 0.0
        object["attention_probs_dropout_prob"] = 0.0
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: config)
        let texts = ["you are kind", "what a good day", "thank you", "you are awful", "go away", "so nice"]
        let rows = (0..<14).map { "\(texts[$0 % texts.count]) \($0),\($0 % 3 == 0 ? "offensive" : "not offensive")" }
        let data = folder.file("labeled.csv")
        try Data((["text,label"] + rows).joined(separator: "\n").utf8).write(to: data)
        for ranks in [0, 2] {
            let run = try Self.launch(
                tools, ranks: ranks,
                [
                    "train-classifier", "--model", world.reward.path, "--data", data.path, "--epochs", "2",
                    "--batch-size", "5", "--learning-rate", "0.001", "--out", folder.file("classifier-\(ranks)").path,
                ], in: folder.url)
            try #require(run.status == 0, "train-classifier with \(ranks) ranks: \(run.output)")
        }
        let weights = { (ranks: Int) in
            try SafeTensorsFile(
                url: folder.file("classifier-\(ranks)").appendingPathComponent("model.safetensors")
            ).tensors().mapValues(\.values)
        }
        let (one, two) = (try weights(0), try weights(2))
        try #require(!one.isEmpty)
        #expect(one.keys.sorted() == two.keys.sorted())
        // Relative to the model's largest weight: a few tensors (the attention's key bias, whose
        // gradient is zero in exact arithmetic) hold only rounding noise, around 1e-10.
        let scale = one.values.map { $0.map(abs).max() ?? 0 }.max() ?? 0
        for (name, values) in one {
            let difference = TestSupport.closeness(two[name] ?? [], values, rtol: 0, atol: Self.tolerance * scale)
            #expect(difference == nil, "\(name): \(difference ?? "")")
        }
    }

    /// Fine-tuning with every dropout on (the model's hidden and attention dropout, LoRA dropout
    /// 0.1) ends with the same parameters on 2 ranks as in one process: masks are keyed by the
    /// global row and position, not by the rank's shard or padding. The tiny T5 right-pads; the
    /// tiny Llama (attention dropout 0.1) left-pads (its rows start at different positions in each
    /// shard); its 6 examples in batches of 5 leave a second batch of one row in every step, which
    /// rank 1 has no share of.
    @Test func fineTuningWithDropoutOnWithTwoRanksEqualsOneProcess() throws {
        guard let tools = Self.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let t5 = try MiniWorld.build(at: folder.file("t5world"))
        let llama = try CausalWorld.build(at: folder.file("causal")).llama
        let llamaConfig = llama.appendingPathComponent("config.json")
        var llamaObject = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: llamaConfig)) as? [String: Any])
        llamaObject["attention_dropout"] = 0.1
        try JSONSerialization.data(withJSONObject: llamaObject, options: [.sortedKeys]).write(to: llamaConfig)
        let words = CausalWorld.words.dropFirst(7)
        let examples = (0..<6).map { row in
            let prompt = (0..<(2 + row % 4)).map { words[words.startIndex + (row * 3 + $0) % words.count] }
            let completion = (0..<(1 + row % 3)).map { words[words.startIndex + (row * 5 + $0) % words.count] }
            return
                #"{"prompt": "\#(prompt.joined(separator: " "))", "completion": " \#(completion.joined(separator: " "))"}"#
        }
        let pairs = folder.file("pairs.jsonl")
        try Data((examples.joined(separator: "\n") + "\n").utf8).write(to: pairs)
        let runs: [(name: String, model: URL, data: URL, extra: [String])] = [
            ("t5", t5.t5, t5.data, []), ("llama", llama, pairs, ["--prompt-field", "prompt"]),
        ]
        for run in runs {
            let arguments = { (ranks: Int) in
                Self.fineTuneArguments(
                    (run.model, run.data), out: folder.file("\(run.name)-\(ranks)"), steps: 4, loraDropout: "0.1")
                    + run.extra
            }
            let alone = try Self.launch(tools, ranks: 0, arguments(1), in: folder.url)
            try #require(alone.status == 0, "\(run.name), one process: \(alone.output)")
            let two = try Self.launch(tools, ranks: 2, arguments(2), in: folder.url)
            try #require(two.status == 0, "\(run.name), two ranks: \(two.output)")
            try Self.expectSameRun(
                folder.file("\(run.name)-2"), folder.file("\(run.name)-1"), "\(run.name) with dropout")
        }
        // Dropout is on in both models' configurations.
        for (model, key) in [(t5.t5, "dropout_rate"), (llama, "attention_dropout")] {
            let config = try Data(contentsOf: model.appendingPathComponent("config.json"))
            let object = try #require(try JSONSerialization.jsonObject(with: config) as? [String: Any])
            #expect(((object[key] as? NSNumber)?.doubleValue ?? 0) > 0, "\(key) in \(model.lastPathComponent)")
        }
    }

    /// `evaluate` of a decoder-only model (sampled continuations of prompts, perplexity, distinct-n)
    /// with 2 ranks writes byte for byte what one process writes: each batch samples from its own
    /// stream (keyed by the batch, not the rank) and rank 0 writes.
    @Test func decoderOnlyEvaluationWithTwoRanksEqualsOneProcess() throws {
        guard let tools = Self.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try CausalWorld.build(at: folder.file("causal"))
        // An adapter with random (non-zero) weights, so "after" differs from "before".
        let adapter = folder.file("adapter")
        let adapted = try LanguageModelLoader.load(folder: world.gpt2)
        let lora = LoRAConfiguration(rank: 2, alpha: 4, targets: .names(["c_attn"]))
        var generator = SeededGenerator(seed: 8)
        try LoRA.apply(lora, to: adapted, generator: &generator)
        for (_, parameter) in adapted.trainableParameters() {
            parameter.assign(
                Tensor(
                    (0..<parameter.shape.reduce(1, *)).map { _ in generator.nextNormal() * 0.2 }, shape: parameter.shape
                ))
        }
        try LoRA.save(adapted, configuration: lora, to: adapter)
        for ranks in [0, 2] {
            // 19 prompts in batches of 8: three batches, two on rank 0 and one on rank 1.
            let evaluate = try Self.launch(
                tools, ranks: ranks,
                [
                    "evaluate", "--model", world.gpt2.path, "--after", adapter.path, "--toxicity-model",
                    world.evaluator.path, "--toxic-label", "offensive", "--data", world.prompts.path, "--prompts",
                    "real_toxicity_prompts", "--count", "19", "--max-new-tokens", "5",
                    "--out", folder.file("evaluate-\(ranks)").path,
                ], in: folder.url)
            try #require(evaluate.status == 0, "evaluate with \(ranks) ranks: \(evaluate.output)")
        }
        try Self.expectSameReports(folder)
        let report = try String(
            contentsOf: folder.file("evaluate-0").appendingPathComponent("comparison.json"), encoding: .utf8)
        #expect(report.contains("erplexity"), "the report holds the perplexity")
    }
}
