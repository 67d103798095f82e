import DetoxDistributed
import DetoxTestFiles
import Foundation
import Testing

/// `detox ppo` under `mpirun -np 2` against one process on the same global batch, with greedy
/// rollouts (so the ranks' sampling streams do not matter): the same parameters, value head and
/// logged statistics after several steps, for a T5 LoRA policy and a decoder-only full policy; and
/// runs resumed with another number of ranks. Skipped (with the reason printed) where `mpirun` or
/// the built `detox` binary is missing.
@Suite(.serialized) struct DistributedPPOTests {
    /// Logged statistics below this magnitude are compared to ``DistributedRunTests/tolerance``
    /// absolutely: the KL estimates and the means of whitened advantages are differences of nearly
    /// equal numbers, so rounding that differs between one process's minibatch passes and the ranks'
    /// shares of them (other paddings) is all they hold near zero.
    static let absoluteBelow = 1.0

    /// A T5 LoRA run on the mini world: batch 6 in minibatches of 3 (shared 2 + 1 between two ranks),
    /// two generation batches (4 + 2 rows), the adaptive KL controller on. Not score normalization:
    /// this random T5's greedy responses are all the same text, so the scores are equal but for the
    /// rounding of the reward model's batches, which normalization by their spread would magnify
    /// (the decoder-only run normalizes its scores).
    static func t5Arguments(_ world: (t5: URL, reward: URL, data: URL), out: URL, steps: Int = 4) -> [String] {
        [
            "ppo", "--model", world.t5.path, "--reward-model", world.reward.path, "--reward-label", "not offensive",
            "--data", world.data.path, "--out", out.path, "--steps", "\(steps)", "--batch-size", "6",
            "--mini-batch-size", "3", "--ppo-epochs", "2", "--learning-rate", "0.01", "--lora-rank", "2",
            "--lengths", "5,6", "--min-new-tokens", "2", "--greedy-rollouts", "--checkpoint-every", "1",
        ]
    }

    /// `run`'s trained tensors (its `adapter/` or `model/` weights and the value head) and its log
    /// without the timings.
    static func outcome(_ run: URL, weights: String) throws -> (tensors: [String: [Float]], log: [[String: Double]]) {
        var tensors = try DistributedRunTests.tensors(run.appendingPathComponent(weights))
        for (name, values) in try DistributedRunTests.tensors(run.appendingPathComponent("value_head.safetensors")) {
            tensors[name] = values
        }
        let log = try DistributedRunTests.metrics(run, file: "ppo_log.jsonl").map {
            $0.filter { !$0.key.hasPrefix("time/") }
        }
        return (tensors, log)
    }

    /// `actual` ends with `expected`'s trained tensors, each element to ``DistributedRunTests/tolerance``
    /// relative to the largest magnitude of them all, and logs its statistics (see ``absoluteBelow``).
    ///
    /// Relative to the largest, not to each tensor's own: Adam divides each gradient element by its
    /// running magnitude, so an element whose gradient is rounding noise (zero in exact arithmetic,
    /// like GPT-2's key bias, or near zero) still moves by up to the learning rate, in a direction the
    /// rounding picks. Measured: at most 2.3e-6 apart (GPT-2's key bias, which stays below 3e-6),
    /// 7.6e-7 in the T5 adapter, whose largest value is about 0.14.
    static func expectSame(_ actual: URL, _ expected: URL, weights: String, _ label: String) throws {
        let (a, e) = (try outcome(actual, weights: weights), try outcome(expected, weights: weights))
        let scale = e.tensors.values.map { $0.map(abs).max() ?? 0 }.max() ?? 0
        try DistributedRunTests.expectSameTensors(a.tensors, e.tensors, label, scale: scale)
        try DistributedRunTests.expectSameLog(a.log, e.log, label, floor: absoluteBelow)
    }

    static let adapterWeights = "adapter/adapter_model.safetensors"

    /// A T5 LoRA policy: 2 ranks equal one process after 4 steps; a 2-rank run whose rank 0 is killed
    /// after writing the step-2 checkpoint
    /// is finished by one process, and a one-process run killed after step 1 by 2 ranks, both equal
    /// to the uninterrupted run.
    @Test func t5LoRAWithTwoRanksEqualsOneProcessAndResumesAcrossRankCounts() throws {
        guard let tools = DistributedRunTests.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try DistributedRunTests.world(at: folder.url)
        func launch(_ ranks: Int, _ out: URL, kill: String? = nil) throws -> DistributedRunTests.Launch {
            try DistributedRunTests.launch(
                tools, ranks: ranks, Self.t5Arguments(world, out: out), in: folder.url,
                environment: kill.map { [FaultDrill.variable: $0] } ?? [:])
        }

        let single = folder.file("single")
        let alone = try launch(0, single)
        try #require(alone.status == 0, "one process: \(alone.output)")
        let pair = folder.file("pair")
        let two = try launch(2, pair)
        try #require(two.status == 0, "two ranks: \(two.output)")
        #expect(two.output.contains("on 2 ranks"), "progress lines show the world size")
        #expect(two.output.contains("allreduce"), "the ranks report their communication")
        try Self.expectSame(pair, single, weights: Self.adapterWeights, "2 ranks vs 1 process")

        let shrunk = folder.file("shrunk")
        let broken = try launch(2, shrunk, kill: "0:2")
        #expect(broken.status != 0, "a killed rank fails the job: \(broken.output)")
        #expect(try DistributedRunTests.metrics(shrunk, file: "ppo_log.jsonl").count == 2)
        let finished = try launch(0, shrunk)
        try #require(finished.status == 0, "resume with 1 process: \(finished.output)")
        #expect(finished.output.contains("resuming PPO at step 2"))
        try Self.expectSame(shrunk, single, weights: Self.adapterWeights, "2 ranks killed, resumed by 1 process")

        let grown = folder.file("grown")
        let stopped = try launch(0, grown, kill: "0:1")
        #expect(stopped.status != 0)
        let resumed = try launch(2, grown)
        try #require(resumed.status == 0, "resume with 2 ranks: \(resumed.output)")
        #expect(resumed.output.contains("resuming PPO at step 1"))
        try Self.expectSame(grown, single, weights: Self.adapterWeights, "1 process killed, resumed by 2 ranks")
    }

    /// A decoder-only policy (GPT-2, every weight trained against a frozen copy) on prompts, with
    /// score normalization: 2 ranks equal one process after 3 steps.
    @Test func decoderOnlyFullPolicyWithTwoRanksEqualsOneProcess() throws {
        guard let tools = DistributedRunTests.tools() else { return }
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let world = try CausalWorld.build(at: folder.file("world"))
        for (ranks, name) in [(0, "single"), (2, "pair")] {
            let run = try DistributedRunTests.launch(
                tools, ranks: ranks,
                [
                    "ppo", "--model", world.gpt2.path, "--prompts", "real_toxicity_prompts", "--data",
                    world.prompts.path, "--reward-model", world.reward.path, "--policy", "full", "--out",
                    folder.file(name).path, "--steps", "3", "--batch-size", "4", "--mini-batch-size", "2",
                    "--ppo-epochs", "2", "--learning-rate", "0.001", "--lengths", "4,5", "--greedy-rollouts",
                    "--normalize-scores",
                ], in: folder.url)
            try #require(run.status == 0, "\(name): \(run.output)")
        }
        try Self.expectSame(
            folder.file("pair"), folder.file("single"), weights: "model/model.safetensors", "2 ranks vs 1 process")
    }
}
