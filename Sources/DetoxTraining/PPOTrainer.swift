// Follows trl `trl/trainer/ppo_trainer.py` (v0.11.4), `PPOTrainer.step`, for encoder–decoder
// policies with a value head and a LoRA adapter whose reference model is the same network with
// the adapter disabled.

import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Foundation

/// One PPO step's inputs: tokenized queries, the responses as generation returned them
/// (`[decoder_start, t1, ..., EOS?]`, no padding) and one score per sample.
public struct PPOBatch: Sendable {
    public var queries: [[Int]]
    public var responses: [[Int]]
    public var scores: [Float]

    public init(queries: [[Int]], responses: [[Int]], scores: [Float]) {
        self.queries = queries
        self.responses = responses
        self.scores = scores
    }
}

/// Proximal policy optimization of a T5 policy's trainable parameters (its LoRA adapter and value
/// head) with a KL penalty to the reference model, as TRL's `PPOTrainer.step`.
///
/// Difference from TRL, on purpose: TRL's seq2seq masking (`start = 1`) drops the first generated
/// token from the KL, the advantages and the loss, so the policy's first word is never trained.
/// Here every response token takes part: position `t` of the mask covers
/// `log p(response[t+1] | response[...t])` for every generated token, the last one (EOS) included.
public final class PPOTrainer {
    public let policy: T5WithValueHead
    public let configuration: PPOConfiguration
    public let optimizer: Adam
    public private(set) var klController: KLController
    public private(set) var scoreMoments = RunningMoments()
    /// Steps taken so far.
    public private(set) var stepCount = 0
    /// Draws the minibatch permutations.
    public var generator: SeededGenerator
    /// Called with the warning TRL prints when the mean KL falls below −1.
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }

    /// The policy must carry LoRA adapters (the reference is the policy with them off).
    public init(policy: T5WithValueHead, configuration: PPOConfiguration) throws {
        try configuration.validate()
        guard !LoRA.adapters(in: policy.model).isEmpty else {
            throw TrainingError.invalidSetting(
                name: "policy",
                reason: "has no LoRA adapter; the reference model is the policy with its adapter disabled")
        }
        self.policy = policy
        self.configuration = configuration
        self.klController =
            configuration.adaptiveKLControl
            ? .adaptive(initial: configuration.initKLCoef, target: configuration.target, horizon: configuration.horizon)
            : .fixed(configuration.initKLCoef)
        self.optimizer = try Adam(parameters: policy.trainableParameters(), learningRate: configuration.learningRate)
        self.generator = SeededGenerator(seed: configuration.seed)
    }

    // MARK: - Inputs

    struct ModelInputs {
        var inputIDs: [[Int]]
        var attentionMask: [[Int]]
        var decoderTokens: [[Int]]
        var decoderMask: [[Int]]
        /// `[B, T]` 0/1: which log-probability positions belong to the response.
        var mask: Tensor
        var length: Int
    }

    func inputs(_ batch: PPOBatch, rows: [Int]) -> ModelInputs {
        let pad = policy.model.configuration.padTokenID
        let queries = rows.map { batch.queries[$0] }
        let responses = rows.map { batch.responses[$0] }
        let sourceLength = queries.map(\.count).max() ?? 0
        let decoderLength = responses.map(\.count).max() ?? 0
        let t = decoderLength - 1
        var mask = [Float](repeating: 0, count: rows.count * Swift.max(t, 0))
        for (i, response) in responses.enumerated() where response.count >= 2 {
            for p in 0..<(response.count - 1) { mask[i * t + p] = 1 }
        }
        return ModelInputs(
            inputIDs: queries.map { $0 + Array(repeating: pad, count: sourceLength - $0.count) },
            attentionMask: queries.map {
                Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: sourceLength - $0.count)
            },
            decoderTokens: responses.map { $0 + Array(repeating: pad, count: decoderLength - $0.count) },
            decoderMask: responses.map {
                Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: decoderLength - $0.count)
            },
            mask: Tensor(mask, shape: [rows.count, t]), length: t)
    }

    /// Log-probabilities `[B, T]`, values `[B, T]` and logits of the policy (or, with
    /// `reference`, of the policy with its adapters off) for `rows`, dropout off.
    func forward(_ x: ModelInputs, reference: Bool = false) throws -> (logprobs: Tensor, values: Tensor, logits: Tensor)
    {
        let run = {
            try self.policy.logProbabilitiesAndValues(
                inputIDs: x.inputIDs, attentionMask: x.attentionMask, decoderTokens: x.decoderTokens,
                decoderAttentionMask: x.decoderMask)
        }
        let result = reference ? try LoRA.withAdaptersDisabled(policy.model, run) : try run()
        return (result.logProbabilities, result.values, result.logits)
    }

    // MARK: - Step

    /// One PPO step: forward passes, rewards with the KL penalty, advantages, `ppoEpochs` of
    /// clipped updates over shuffled minibatches, the KL-controller update. Returns TRL's statistics.
    public func step(_ batch: PPOBatch) throws -> [String: Double] {
        let c = configuration
        guard batch.queries.count == c.batchSize, batch.responses.count == c.batchSize,
            batch.scores.count == c.batchSize
        else {
            throw TrainingError.invalidSetting(
                name: "batch",
                reason:
                    "expected \(c.batchSize) queries, responses and scores, got \(batch.queries.count), \(batch.responses.count), \(batch.scores.count)"
            )
        }
        for (i, response) in batch.responses.enumerated() where response.count < 2 {
            throw TrainingError.invalidSetting(
                name: "responses[\(i)]", reason: "needs the start token and at least one generated token")
        }
        let start = Date()
        var timing: [String: Double] = [:]
        policy.setTraining(false)

        // Score shaping.
        var scores = batch.scores.map(Double.init)
        if c.useScoreScaling {
            scoreMoments.update(scores)
            let eps = Double(Float.ulpOfOne)
            scores =
                c.useScoreNorm
                ? scores.map { ($0 - scoreMoments.mean) / (scoreMoments.std + eps) }
                : scores.map { $0 / (scoreMoments.std + eps) }
        }
        if let clip = c.scoreClip { scores = scores.map { Swift.min(Swift.max($0, -clip), clip) } }

        // Old log-probabilities, values and reference log-probabilities of the whole batch, in
        // minibatches taken in the first epoch's order. The policy's pass over the first minibatch
        // records its graph: the first update reuses it, since no parameter has changed before it
        // (TRL runs that forward pass again and gets the same numbers).
        var t0 = Date()
        let all = inputs(batch, rows: Array(0..<c.batchSize))
        let firstPermutation = shuffledRows()
        var reusable: (rows: [Int], output: (logprobs: Tensor, values: Tensor, logits: Tensor))?
        var lp: [Tensor] = []
        var v: [Tensor] = []
        var ref: [Tensor] = []
        var full: [Tensor] = []
        var refFull: [Tensor] = []
        for chunk in stride(from: 0, to: c.batchSize, by: c.miniBatchSize) {
            let rows = Array(firstPermutation[chunk..<Swift.min(chunk + c.miniBatchSize, c.batchSize)])
            let x = inputs(batch, rows: rows)
            let policyOut = chunk == 0 ? try forward(x) : try Tensor.withNoGrad { try forward(x) }
            if chunk == 0 { reusable = (rows, policyOut) }
            let referenceOut = try Tensor.withNoGrad { try forward(x, reference: true) }
            Tensor.withNoGrad {
                lp.append(Self.padded(policyOut.logprobs.detached(), to: all.length))
                v.append(Self.padded(policyOut.values.detached(), to: all.length))
                ref.append(Self.padded(referenceOut.logprobs, to: all.length))
                if c.klPenalty == .full {
                    full.append(Self.padded(policyOut.logits.detached().logSoftmax(), to: all.length))
                    refFull.append(Self.padded(referenceOut.logits.logSoftmax(), to: all.length))
                }
            }
        }
        // Back to the batch's row order.
        var order = [Int](repeating: 0, count: c.batchSize)
        for (position, row) in firstPermutation.enumerated() { order[row] = position }
        func unshuffled(_ parts: [Tensor]) -> Tensor {
            Tensor.withNoGrad { Tensor.concatenate(parts, axis: 0).indexSelect(order) }
        }
        let logprobs = unshuffled(lp)
        let values = unshuffled(v)
        let referenceLogprobs = unshuffled(ref)
        let fullLogprobs = full.isEmpty ? nil : unshuffled(full)
        let referenceFull = refFull.isEmpty ? nil : unshuffled(refFull)
        timing["time/ppo/forward_pass"] = Date().timeIntervalSince(t0)

        t0 = Date()
        let mask = all.mask
        let (rewards, nonScore, kls) = try PPOMath.rewards(
            scores: scores.map(Float.init), logprobs: fullLogprobs ?? logprobs,
            refLogprobs: referenceFull ?? referenceLogprobs,
            mask: mask, klCoefficient: klController.value, kind: c.klPenalty)
        timing["time/ppo/compute_rewards"] = Date().timeIntervalSince(t0)
        t0 = Date()
        let (maskedValues, advantages, returns) = try PPOMath.advantages(
            values: values, rewards: rewards, mask: mask, gamma: c.gamma, lambda: c.lam, whitenRewards: c.whitenRewards)
        timing["time/ppo/compute_advantages"] = Date().timeIntervalSince(t0)

        // PPO epochs over shuffled minibatches.
        t0 = Date()
        var minibatchStats: [PPOLossStatistics] = []
        epochs: for epoch in 0..<c.ppoEpochs {
            let permutation = epoch == 0 ? firstPermutation : shuffledRows()
            for backwardStart in stride(from: 0, to: c.batchSize, by: c.backwardBatchSize) {
                var grads = GradStore()
                for miniStart in stride(
                    from: backwardStart, to: backwardStart + c.backwardBatchSize, by: c.miniBatchSize)
                {
                    let rows = Array(permutation[miniStart..<(miniStart + c.miniBatchSize)])
                    let x = inputs(batch, rows: rows)
                    let current: (logprobs: Tensor, values: Tensor, logits: Tensor)
                    if let reused = reusable, reused.rows == rows {
                        current = reused.output
                    } else {
                        current = try forward(x)
                    }
                    reusable = nil
                    func pick(_ t: Tensor) -> Tensor { Self.padded(t.indexSelect(rows), to: x.length) }
                    let (pgLoss, vfLoss, stats) = try PPOMath.loss(
                        oldLogprobs: pick(logprobs), values: pick(maskedValues), logits: current.logits,
                        vpreds: current.values, logprobs: current.logprobs, mask: x.mask,
                        advantages: pick(advantages), returns: pick(returns), cliprange: c.cliprange,
                        cliprangeValue: c.cliprangeValue, vfCoefficient: c.vfCoef, ratioThreshold: c.ratioThreshold)
                    let loss = (pgLoss + vfLoss) / Float(c.gradientAccumulationSteps)
                    guard loss.item.isFinite else {
                        throw TrainingError.nonFinite(what: "PPO loss", step: stepCount + 1, value: loss.item)
                    }
                    grads.accumulate(try loss.backward())
                    minibatchStats.append(stats)
                }
                if let maxNorm = c.maxGradNorm { optimizer.clipGradientNorm(&grads, maxNorm: Float(maxNorm)) }
                try optimizer.step(grads: grads)
            }
            if c.earlyStopping, let last = minibatchStats.last, Double(last.policyKL) > 1.5 * c.targetKL {
                break epochs
            }
        }
        timing["time/ppo/optimize_step"] = Date().timeIntervalSince(t0)

        // Statistics, as record_step_stats.
        t0 = Date()
        var stats = PPOStatistics.record(
            klCoefficient: klController.value, scores: scores, rawScores: batch.scores.map(Double.init),
            logprobs: logprobs, referenceLogprobs: referenceLogprobs, nonScoreRewards: nonScore, kls: kls, mask: mask,
            queryLengths: batch.queries.map(\.count), responseLengths: batch.responses.map(\.count),
            minibatches: minibatchStats)
        let meanKL = stats["objective/kl"] ?? 0
        stats["ppo/learning_rate"] = optimizer.learningRate
        if meanKL < -1 {
            warn(
                String(
                    format:
                        "KL divergence is starting to become negative: %.2f - this might be a precursor for failed training. "
                        + "sometimes this happens because the generation kwargs are not correctly set.", meanKL))
        }
        klController.update(current: meanKL, nSteps: c.batchSize)
        stepCount += 1
        timing["time/ppo/calc_stats"] = Date().timeIntervalSince(t0)
        timing["time/ppo/total"] = Date().timeIntervalSince(start)
        stats.merge(timing) { a, _ in a }
        for (key, value) in stats where !value.isFinite && !key.hasPrefix("ppo/val/var_explained") {
            throw TrainingError.nonFinite(what: key, step: stepCount, value: Float(value))
        }
        return stats
    }

    /// A uniformly shuffled `0..<batchSize` (Fisher–Yates on ``generator``), one per epoch.
    func shuffledRows() -> [Int] {
        var permutation = Array(0..<configuration.batchSize)
        for i in stride(from: permutation.count - 1, to: 0, by: -1) {
            permutation.swapAt(i, generator.nextInt(below: i + 1))
        }
        return permutation
    }

    /// Pads (with zeros) or trims axis 1 (positions) of a `[B, T', ...]` tensor to `length`.
    static func padded(_ t: Tensor, to length: Int) -> Tensor {
        let width = t.shape[1]
        if width == length { return t }
        if width > length { return t.slice(axis: 1, 0..<length) }
        var shape = t.shape
        shape[1] = length - width
        return Tensor.concatenate([t, Tensor.zeros(shape)], axis: 1)
    }

    // MARK: - Checkpoint state

    /// Counters and controller state for a checkpoint.
    public var checkpointState: [String: Double] {
        [
            "ppo_step": Double(stepCount), "kl_coef": klController.value,
            "score_mean": scoreMoments.mean, "score_std": scoreMoments.std, "score_var": scoreMoments.variance,
            "score_count": scoreMoments.count,
        ]
    }

    public func restore(state: [String: Double], generator: SeededGenerator, optimizerState: OptimizerState) throws {
        stepCount = Int(state["ppo_step"] ?? 0)
        if let value = state["kl_coef"] { klController.setValue(value) }
        scoreMoments = RunningMoments(
            mean: state["score_mean"] ?? 0, std: state["score_std"] ?? 1,
            variance: state["score_var"] ?? 1, count: state["score_count"] ?? 1e-24)
        self.generator = generator
        try optimizer.restore(optimizerState)
    }
}
