import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

@testable import DetoxTraining

/// The arithmetic that makes a data-parallel PPO step equal one process's, checked in one process:
/// the ranks' shares of a minibatch, each weighted by its share of the response tokens, add up to
/// the minibatch's loss gradient and statistics; the rollout gathered from its evaluation chunks
/// comes back in batch row order. (`DistributedRunTests` runs the same code under `mpirun`.)
@Suite struct PPODataParallelTests {
    /// A trained-for-one-step tiny T5 policy's trainer and a batch of 8 with responses of 2 to 7
    /// tokens (so the minibatches' widths differ), scored at random.
    static func trainerAndBatch(ratioThreshold: Double = 10) throws -> (PPOTrainer, PPOBatch) {
        var configuration = PPOTrainerTests.configuration()
        configuration.ratioThreshold = ratioThreshold
        let trainer = try PPOTrainer(policy: PPOTrainerTests.policy(), configuration: configuration)
        let tokenizer = try TinyWorld.tokenizer()
        var generator = SeededGenerator(seed: 11)
        let queries = PPOTrainerTests.prompts.map { tokenizer.encode($0).ids }
        let responses = (0..<queries.count).map { row in
            [0] + (0..<(1 + row % 6)).map { _ in 3 + generator.nextInt(below: 60) } + [1]
        }
        let scores = queries.map { _ in generator.nextNormal() }
        let batch = PPOBatch(queries: queries, responses: responses, scores: scores)
        _ = try trainer.step(batch)
        return (trainer, batch)
    }

    typealias Targets = (values: Tensor, advantages: Tensor, returns: Tensor)

    /// The rollout of `batch` evaluated in the minibatches of `order`, with its advantages.
    static func rollout(_ trainer: PPOTrainer, _ batch: PPOBatch, order: [Int]) throws -> (
        PPOTrainer.Rollout, Targets
    ) {
        let (rollout, _) = try trainer.evaluateRollout(batch, order: order)
        let (rewards, _, _) = try PPOMath.rewards(
            scores: batch.scores, kls: rollout.kls, mask: rollout.mask, klCoefficient: 0.2)
        let targets = try PPOMath.advantages(
            values: rollout.values, rewards: rewards, mask: rollout.mask, gamma: 1, lambda: 0.95, whitenRewards: false)
        return (rollout, targets)
    }

    /// The gradients of every trainable parameter in `grads`, in the policy's order.
    static func gradients(_ trainer: PPOTrainer, _ grads: GradStore) -> [[Float]] {
        trainer.policy.trainableParameters().map { grads[$0.parameter.tensor]?.values ?? [] }
    }

    /// Two ranks' shares of a minibatch (the blocks `Communicator.share` gives), each loss weighted by its
    /// share of the response tokens: the summed gradients equal the whole minibatch's, the weighted
    /// token means its statistics, and the variances taken over the minibatch's rollout rows its own.
    @Test func weightedSharesAddUpToTheMinibatch() throws {
        let (trainer, batch) = try Self.trainerAndBatch()
        let (rollout, targets) = try Self.rollout(trainer, batch, order: Array(0..<8))
        let minibatch = [6, 1, 3, 4]
        var whole = GradStore()
        let expected = try trainer.accumulateLoss(
            trainer.forward(batch, minibatch), rows: minibatch, minibatch: minibatch, rollout: rollout,
            targets: targets, into: &whole)

        var summed = GradStore()
        var weights: [Float] = []
        var means = [Float](repeating: 0, count: PPOLossStatistics.tokenMeans.count)
        for rows in [[6, 1], [3, 4]] {
            let statistics = try trainer.accumulateLoss(
                trainer.forward(batch, rows), rows: rows, minibatch: minibatch, rollout: rollout, targets: targets,
                into: &summed)
            let weight = try trainer.minibatchStatistics(
                nil, rows: rows, minibatch: minibatch, rollout: rollout, targets: targets
            ).weight
            weights.append(weight)
            for (index, key) in PPOLossStatistics.tokenMeans.enumerated() {
                means[index] += statistics[keyPath: key] * weight
            }
        }
        #expect(weights.count == 2 && weights.allSatisfy { $0 > 0 && $0 < 1 }, "\(weights)")
        #expect(abs(weights.reduce(0, +) - 1) < 1e-6)

        let (a, e) = (Self.gradients(trainer, summed), Self.gradients(trainer, whole))
        try #require(!e.isEmpty && e.allSatisfy { !$0.isEmpty })
        for (index, (actual, wanted)) in zip(a, e).enumerated() {
            let scale = wanted.map(abs).max() ?? 0
            let difference = TestSupport.closeness(actual, wanted, rtol: 0, atol: 1e-5 * scale)
            #expect(difference == nil, "parameter \(index): \(difference ?? "")")
        }
        for (index, key) in PPOLossStatistics.tokenMeans.enumerated() {
            let wanted = expected[keyPath: key]
            #expect(abs(means[index] - wanted) <= 1e-5 * max(1, abs(wanted)), "\(key): \(means[index]) vs \(wanted)")
        }
        let mask = rollout.mask.indexSelect(minibatch)
        let returns = try PPOMath.maskedVariance(targets.returns.indexSelect(minibatch), mask).item
        let values = try PPOMath.maskedVariance(targets.values.indexSelect(minibatch), mask).item
        #expect(abs(returns - expected.returnsVariance) <= 1e-5 * abs(expected.returnsVariance))
        #expect(abs(values - expected.valuesVariance) <= 1e-5 * abs(expected.valuesVariance))
    }

    /// A rank with no rows in a minibatch (more ranks than rows) weighs nothing and adds zeros.
    @Test func aRankWithoutRowsAddsNothing() throws {
        let (trainer, batch) = try Self.trainerAndBatch()
        let (rollout, targets) = try Self.rollout(trainer, batch, order: Array(0..<8))
        var grads = GradStore()
        let statistics = try trainer.accumulateLoss(
            nil, rows: [], minibatch: [0, 1], rollout: rollout, targets: targets, into: &grads)
        #expect(grads.count == 0)
        #expect(PPOLossStatistics.tokenMeans.allSatisfy { statistics[keyPath: $0] == 0 })
        let weight = try trainer.minibatchStatistics(
            nil, rows: [], minibatch: [0, 1], rollout: rollout, targets: targets
        )
        .weight
        #expect(weight == 0)
    }

    /// A minibatch whose mean ratio passes `ratio_threshold` is skipped as TRL skips it: zero
    /// gradients and zero losses in the statistics.
    @Test func aSkippedMinibatchGivesZeroGradients() throws {
        let (trainer, batch) = try Self.trainerAndBatch(ratioThreshold: 0.5)
        let (rollout, targets) = try Self.rollout(trainer, batch, order: Array(0..<8))
        var grads = GradStore()
        let statistics = try trainer.accumulateLoss(
            trainer.forward(batch, [2, 5]), rows: [2, 5], minibatch: [2, 5], rollout: rollout, targets: targets,
            into: &grads)
        #expect(statistics.skipped && statistics.ratioMean > 0.5)
        #expect(statistics.policyLoss == 0 && statistics.valueLoss == 0 && statistics.totalLoss == 0)
        let gradients = Self.gradients(trainer, grads)
        try #require(!gradients.isEmpty)
        #expect(gradients.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    /// The rollout evaluated in the minibatches of a shuffled order, gathered and put back, equals
    /// the one evaluated in batch order at every response position (to rounding: the minibatches pad
    /// differently; past a response, a pass leaves whatever its padding gave, which nothing reads).
    @Test func theGatheredRolloutIsInBatchRowOrder() throws {
        let (trainer, batch) = try Self.trainerAndBatch()
        let (inOrder, _) = try Self.rollout(trainer, batch, order: Array(0..<8))
        let (shuffled, _) = try Self.rollout(trainer, batch, order: [5, 0, 7, 2, 6, 3, 1, 4])
        for (name, a, e) in [
            ("log-probabilities", shuffled.logprobs, inOrder.logprobs), ("values", shuffled.values, inOrder.values),
            ("reference", shuffled.referenceLogprobs, inOrder.referenceLogprobs), ("kl", shuffled.kls, inOrder.kls),
        ] {
            #expect(a.shape == e.shape && e.shape == [8, inOrder.mask.shape[1]], "\(name)")
            let difference = TestSupport.closeness(
                (a * inOrder.mask).values, (e * inOrder.mask).values, rtol: 1e-5, atol: 1e-5)
            #expect(difference == nil, "\(name): \(difference ?? "")")
        }
    }
}
