// Follows trl `trl/trainer/ppo_trainer.py` (v0.11.4), `PPOTrainer.step`, for policies with a value
// head whose reference model is the same network with its LoRA adapter disabled, or a frozen copy
// of the whole policy (`create_reference_model`).

import DetoxDistributed
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Foundation

/// One PPO step's inputs: tokenized queries, the responses as the policy's generation returned them
/// (``LanguageModel/generateResponses(queries:configuration:generator:)``: for T5
/// `[decoder_start, t1, ..., EOS?]`; no padding) and one score per sample.
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

/// Proximal policy optimization of a policy's trainable parameters (its LoRA adapter and value head,
/// or the whole model) with a KL penalty to the reference model, as TRL's `PPOTrainer.step`.
///
/// The trainer does TRL's arithmetic on what the policy's forward pass returns; which positions are
/// scored (the response mask) is the policy family's. For T5, on purpose unlike TRL: TRL's seq2seq
/// masking (`start = 1`) drops the first generated token from the KL, the advantages and the loss,
/// so the policy's first word is never trained; here every generated token takes part, EOS included
/// (see ``PolicyLanguageModel/forward(queries:responses:)`` of `T5WithValueHead`).
///
/// Data-parallel under `mpirun`: every rank of ``communicator`` passes the same whole batch to
/// ``step(_:)``. Each rank scores its share of the rollout (its block of each evaluation chunk) and
/// one allgather gives every rank all of it, so whatever TRL computes over the whole batch (score
/// scaling, rewards, whitening, the KL controller, the logged statistics) is computed by every rank
/// as one process would. Each minibatch (the same permutation on every rank) is split into blocks of
/// rows; each rank weights its masked-mean loss by its share of the minibatch's response tokens, one
/// allreduce sums the minibatch statistics (the ratio that may skip a minibatch is the global one)
/// and one allreduce per optimizer step sums the trainable parameters' gradients, so every rank
/// clips by the global norm and takes the single-process step.
public final class PPOTrainer {
    public let policy: any PolicyLanguageModel
    /// What the KL penalty compares the policy with.
    public let referencePolicy: PPOReferencePolicy
    /// The frozen copy, for ``PPOReferencePolicy/frozenCopy(sharedLayers:pattern:)``.
    public let frozenReference: FrozenReference?
    public let configuration: PPOConfiguration
    public let optimizer: Adam
    /// The ranks that share each step (one process unless started by `mpirun`).
    public let communicator: any Communicator
    /// Where this trainer's steps waited for the other ranks (all zero in one process).
    public internal(set) var communication = Communication()
    public private(set) var klController: KLController
    public private(set) var scoreMoments = RunningMoments()
    /// Steps taken so far.
    public private(set) var stepCount = 0
    /// Draws the minibatch permutations.
    public var generator: SeededGenerator
    /// Called with the warning TRL prints when the mean KL falls below −1.
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }

    /// A trainer of `policy`'s trainable parameters against `reference`.
    ///
    /// With ``PPOReferencePolicy/adapterDisabled`` the policy must carry LoRA adapters. With
    /// ``PPOReferencePolicy/frozenCopy(sharedLayers:pattern:)`` the reference is the policy as it is
    /// now (make the trainer before loading a checkpoint's weights into the policy, as
    /// ``resume(from:)`` does), and the shared parameters are frozen before the optimizer is made.
    /// Under several ranks, every rank makes its trainer from the same policy and configuration.
    /// - Throws: ``TrainingError/invalidSetting(name:reason:)`` for a bad configuration, a policy
    ///   without adapters for `.adapterDisabled`, an unmatched layer pattern, or nothing to train.
    public init(
        policy: any PolicyLanguageModel, reference: PPOReferencePolicy = .adapterDisabled,
        configuration: PPOConfiguration, communicator: any Communicator = SingleProcessCommunicator()
    ) throws {
        try configuration.validate()
        switch reference {
        case .adapterDisabled:
            guard !LoRA.adapters(in: policy.model).isEmpty else {
                throw TrainingError.invalidSetting(
                    name: "policy",
                    reason: "has no LoRA adapter; the reference model is the policy with its adapter disabled")
            }
            frozenReference = nil
        case .frozenCopy(let sharedLayers, let pattern):
            frozenReference = try FrozenReference(policy: policy, sharedLayers: sharedLayers, pattern: pattern)
        }
        guard !policy.trainableParameters().isEmpty else {
            throw TrainingError.invalidSetting(name: "policy", reason: "has no trainable parameter")
        }
        self.policy = policy
        self.referencePolicy = reference
        self.configuration = configuration
        self.communicator = communicator
        self.klController =
            configuration.adaptiveKLControl
            ? .adaptive(initial: configuration.initKLCoef, target: configuration.target, horizon: configuration.horizon)
            : .fixed(configuration.initKLCoef)
        self.optimizer = try Adam(parameters: policy.trainableParameters(), learningRate: configuration.learningRate)
        self.generator = SeededGenerator(seed: configuration.seed)
    }

    // MARK: - Step

    /// One PPO step: forward passes, rewards with the KL penalty, advantages, `ppoEpochs` of
    /// clipped updates over shuffled minibatches, the KL-controller update. Returns TRL's statistics.
    public func step(_ batch: PPOBatch) throws -> [String: Double] {
        let c = configuration
        try validate(batch)
        let start = Date()
        var timing: [String: Double] = [:]
        policy.setTraining(false)
        let scores = shapedScores(batch.scores)

        var t0 = Date()
        let firstPermutation = shuffledRows()
        let rollout: Rollout
        var reusable: ReusedForward?
        (rollout, reusable) = try evaluateRollout(batch, order: firstPermutation)
        timing["time/ppo/forward_pass"] = Date().timeIntervalSince(t0)

        t0 = Date()
        let (rewards, nonScore, kls) = try PPOMath.rewards(
            scores: scores.map(Float.init), kls: rollout.kls, mask: rollout.mask, klCoefficient: klController.value)
        timing["time/ppo/compute_rewards"] = Date().timeIntervalSince(t0)
        t0 = Date()
        let targets = try PPOMath.advantages(
            values: rollout.values, rewards: rewards, mask: rollout.mask, gamma: c.gamma, lambda: c.lam,
            whitenRewards: c.whitenRewards)
        timing["time/ppo/compute_advantages"] = Date().timeIntervalSince(t0)

        t0 = Date()
        let minibatchStats = try optimize(
            batch, rollout: rollout, targets: targets, order: firstPermutation, reusable: &reusable)
        timing["time/ppo/optimize_step"] = Date().timeIntervalSince(t0)

        t0 = Date()
        var stats = recordStep(
            batch, scores: scores, rollout: rollout, nonScore: nonScore, kls: kls, minibatches: minibatchStats)
        timing["time/ppo/calc_stats"] = Date().timeIntervalSince(t0)
        timing["time/ppo/total"] = Date().timeIntervalSince(start)
        stats.merge(timing) { a, _ in a }
        for (key, value) in stats where !value.isFinite && !key.hasPrefix("ppo/val/var_explained") {
            throw TrainingError.nonFinite(what: key, step: stepCount, value: Float(value))
        }
        return stats
    }

    // MARK: - Phases

    /// One batch of `batchSize` queries, responses and scores, each response long enough to score.
    func validate(_ batch: PPOBatch) throws {
        let n = configuration.batchSize
        guard batch.queries.count == n, batch.responses.count == n, batch.scores.count == n else {
            throw TrainingError.invalidSetting(
                name: "batch",
                reason:
                    "expected \(n) queries, responses and scores, got \(batch.queries.count), \(batch.responses.count), \(batch.scores.count)"
            )
        }
        let minimum = policy.minimumResponseLength
        for (i, response) in batch.responses.enumerated() where response.count < minimum {
            throw TrainingError.invalidSetting(
                name: "responses[\(i)]", reason: "has \(response.count) tokens, the policy needs at least \(minimum)")
        }
    }

    /// Score scaling (running moments, optionally normalized) and clipping, as TRL's step.
    func shapedScores(_ raw: [Float]) -> [Double] {
        let c = configuration
        var scores = raw.map(Double.init)
        if c.useScoreScaling {
            scoreMoments.update(scores)
            let eps = Double(Float.ulpOfOne)
            scores =
                c.useScoreNorm
                ? scores.map { ($0 - scoreMoments.mean) / (scoreMoments.std + eps) }
                : scores.map { $0 / (scoreMoments.std + eps) }
        }
        if let clip = c.scoreClip { scores = scores.map { Swift.min(Swift.max($0, -clip), clip) } }
        return scores
    }

    /// The batch's old log-probabilities, values, reference log-probabilities and per-token KL
    /// estimates (`[B, T]`, batch row order), in minibatches taken in the first epoch's `order`, each
    /// rank passing its share of every minibatch (``ownRows(_:)``) and all ranks' rows gathered. The
    /// policy's pass over this rank's share of the first minibatch records its graph and comes back as
    /// `reusable`: the first update reuses it, since no parameter has changed before it (TRL runs that
    /// forward pass again and gets the same numbers).
    func evaluateRollout(_ batch: PPOBatch, order firstPermutation: [Int]) throws -> (Rollout, ReusedForward?) {
        let c = configuration
        let mask = policy.responseMask(queries: batch.queries, responses: batch.responses)
        let width = mask.shape[1]
        var reusable: ReusedForward?
        // Log-probabilities, values, reference log-probabilities, KL estimates.
        var parts: [[Tensor]] = [[], [], [], []]
        let chunks = evaluationChunks(firstPermutation)
        for (index, chunk) in chunks.enumerated() {
            let rows = ownRows(chunk)
            guard !rows.isEmpty else { continue }
            let policyOut = index == 0 ? try forward(batch, rows) : try Tensor.withNoGrad { try forward(batch, rows) }
            if index == 0 { reusable = (rows, policyOut) }
            let referenceOut = try Tensor.withNoGrad { try forward(batch, rows, reference: true) }
            Tensor.withNoGrad {
                let logprobs = Self.padded(policyOut.logProbabilities.detached(), to: width)
                let reference = Self.padded(referenceOut.logProbabilities, to: width)
                let kls =
                    c.klPenalty == .full
                    ? PPOMath.klPenalty(
                        Self.padded(policyOut.logits.detached().logSoftmax(), to: width),
                        Self.padded(referenceOut.logits.logSoftmax(), to: width), kind: .full)
                    : PPOMath.klPenalty(logprobs, reference, kind: c.klPenalty)
                parts[0].append(logprobs)
                parts[1].append(Self.padded(policyOut.values.detached(), to: width))
                parts[2].append(reference)
                parts[3].append(kls)
            }
        }
        let all = try gatherRows(parts, chunks: chunks, width: width)
        let rollout = Rollout(logprobs: all[0], values: all[1], referenceLogprobs: all[2], kls: all[3], mask: mask)
        return (rollout, reusable)
    }

    /// `ppoEpochs` of clipped updates over shuffled minibatches (the first epoch in `order`), one
    /// optimizer step per backward batch; stops early when the policy KL passes 1.5 × `targetKL`.
    /// Consumes `reusable` at the first minibatch.
    func optimize(
        _ batch: PPOBatch, rollout: Rollout, targets: (values: Tensor, advantages: Tensor, returns: Tensor),
        order firstPermutation: [Int], reusable: inout ReusedForward?
    ) throws -> [PPOLossStatistics] {
        let c = configuration
        var minibatchStats: [PPOLossStatistics] = []
        epochs: for epoch in 0..<c.ppoEpochs {
            let permutation = epoch == 0 ? firstPermutation : shuffledRows()
            for backwardStart in stride(from: 0, to: c.batchSize, by: c.backwardBatchSize) {
                var grads = GradStore()
                for miniStart in stride(
                    from: backwardStart, to: backwardStart + c.backwardBatchSize, by: c.miniBatchSize)
                {
                    let minibatch = Array(permutation[miniStart..<(miniStart + c.miniBatchSize)])
                    let rows = ownRows(minibatch)
                    var current: PolicyForwardPass?
                    if let reused = reusable, reused.rows == rows {
                        current = reused.output
                    } else if !rows.isEmpty {
                        current = try forward(batch, rows)
                    }
                    reusable = nil
                    minibatchStats.append(
                        try accumulateLoss(
                            current, rows: rows, minibatch: minibatch, rollout: rollout, targets: targets, into: &grads
                        ))
                }
                try reduceGradients(&grads)
                if let maxNorm = c.maxGradNorm { optimizer.clipGradientNorm(&grads, maxNorm: Float(maxNorm)) }
                try optimizer.step(grads: grads)
            }
            if c.earlyStopping, let last = minibatchStats.last, Double(last.policyKL) > 1.5 * c.targetKL {
                break epochs
            }
        }
        return minibatchStats
    }

    /// This rank's part of the clipped policy and value loss of `minibatch`: the loss of `rows` (its
    /// share, which `current` passed; nil for none) weighted by their share of the minibatch's response
    /// tokens, back-propagated into `grads` unless the minibatch's mean ratio (over every rank's rows)
    /// passes `ratio_threshold`. Returns the whole minibatch's statistics.
    func accumulateLoss(
        _ current: PolicyForwardPass?, rows: [Int], minibatch: [Int], rollout: Rollout,
        targets: (values: Tensor, advantages: Tensor, returns: Tensor), into grads: inout GradStore
    ) throws -> PPOLossStatistics {
        let c = configuration
        var loss: Tensor?
        var own: PPOLossStatistics?
        if let current {
            let width = current.mask.shape[1]
            func pick(_ t: Tensor) -> Tensor { Self.padded(t.indexSelect(rows), to: width) }
            // The ratio threshold is applied below, to the whole minibatch's mean ratio.
            let (pgLoss, vfLoss, stats) = try PPOMath.loss(
                oldLogprobs: pick(rollout.logprobs), values: pick(targets.values), logits: current.logits,
                vpreds: current.values, logprobs: current.logProbabilities, mask: current.mask,
                advantages: pick(targets.advantages), returns: pick(targets.returns), cliprange: c.cliprange,
                cliprangeValue: c.cliprangeValue, vfCoefficient: c.vfCoef, ratioThreshold: .infinity)
            loss = pgLoss + vfLoss
            own = stats
        }
        let (weight, stats) = try minibatchStatistics(
            own, rows: rows, minibatch: minibatch, rollout: rollout, targets: targets)
        guard var loss else { return stats }
        loss = loss * weight / Float(c.gradientAccumulationSteps)
        if stats.skipped { loss = loss * 0 }
        guard loss.item.isFinite else {
            throw TrainingError.nonFinite(what: "PPO loss", step: stepCount + 1, value: loss.item)
        }
        grads.accumulate(try loss.backward())
        return stats
    }

    /// TRL's `record_step_stats`, the negative-KL warning and the KL-controller update; counts the step.
    func recordStep(
        _ batch: PPOBatch, scores: [Double], rollout: Rollout, nonScore: Tensor, kls: Tensor,
        minibatches: [PPOLossStatistics]
    ) -> [String: Double] {
        var stats = PPOStatistics.record(
            klCoefficient: klController.value, scores: scores, rawScores: batch.scores.map(Double.init),
            logprobs: rollout.logprobs, referenceLogprobs: rollout.referenceLogprobs, nonScoreRewards: nonScore,
            kls: kls, mask: rollout.mask, queryLengths: batch.queries.map(\.count),
            responseLengths: batch.responses.map(\.count), minibatches: minibatches)
        let meanKL = stats["objective/kl"] ?? 0
        stats["ppo/learning_rate"] = optimizer.learningRate
        if meanKL < -1 {
            warn(
                String(
                    format:
                        "KL divergence is starting to become negative: %.2f - this might be a precursor for failed training. "
                        + "sometimes this happens because the generation kwargs are not correctly set.", meanKL))
        }
        klController.update(current: meanKL, nSteps: configuration.batchSize)
        stepCount += 1
        return stats
    }

    // MARK: - Forward passes

    /// What the first epoch's first minibatch pass leaves for the first update.
    typealias ReusedForward = (rows: [Int], output: PolicyForwardPass)

    /// The batch as the policy scored it before any update, in batch row order, `[B, T]`.
    struct Rollout {
        var logprobs: Tensor
        var values: Tensor
        var referenceLogprobs: Tensor
        /// The per-token KL estimate of ``PPOConfiguration/klPenalty``.
        var kls: Tensor
        /// `[B, T]` 0/1: the positions that belong to each response.
        var mask: Tensor
    }

    /// The policy's (or, with `reference`, the reference model's) pass over `rows`.
    func forward(_ batch: PPOBatch, _ rows: [Int], reference: Bool = false) throws -> PolicyForwardPass {
        let queries = rows.map { batch.queries[$0] }
        let responses = rows.map { batch.responses[$0] }
        let run = { try self.policy.forward(queries: queries, responses: responses) }
        guard reference else { return try run() }
        if let frozenReference { return try frozenReference.withReference(run) }
        return try LoRA.withAdaptersDisabled(policy.model, run)
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
