import DetoxCheckpoints
import DetoxTensor
import DetoxTestSupport
import DetoxTraining
import Foundation
import Testing

/// PPO arithmetic against trl 0.11.4's own functions (`Scripts/fixtures/make_ppo_fixtures.py`).
/// Tolerance: 1e-5 relative and absolute on every value.
@Suite struct PPOMathTests {
    static let rtol: Float = 1e-5
    static let atol: Float = 1e-5

    static func tensors() throws -> SafeTensorsFile {
        try SafeTensorsFile(
            url: #require(
                Bundle.module.url(forResource: "ppo_math", withExtension: "safetensors", subdirectory: "Fixtures")))
    }

    static func scalars() throws -> [String: Any] {
        let url = try #require(
            Bundle.module.url(forResource: "ppo_math", withExtension: "json", subdirectory: "Fixtures"))
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func expectClose(_ actual: Tensor, _ expected: Tensor, _ what: String) {
        #expect(
            actual.shape == expected.shape || actual.count == expected.count,
            "\(what): shape \(actual.shape) vs \(expected.shape)")
        let problem = TestSupport.closeness(actual.values, expected.values, rtol: Self.rtol, atol: Self.atol)
        #expect(problem == nil, "\(what): \(problem ?? "")")
    }

    func expectClose(_ actual: Float, _ expected: Any?, _ what: String) {
        guard let expected = (expected as? NSNumber)?.floatValue else {
            Issue.record("\(what): no reference value")
            return
        }
        let problem = TestSupport.closeness([actual], [expected], rtol: Self.rtol, atol: Self.atol)
        #expect(problem == nil, "\(what): \(problem ?? "")")
    }

    @Test func maskedStatistics() throws {
        let f = try Self.tensors()
        let values = try f.tensor("values")
        let mask = try f.tensor("mask")
        expectClose(PPOMath.maskedMean(values, mask), try f.tensor("masked_mean"), "masked_mean")
        expectClose(PPOMath.maskedMean(values, mask, axis: 1), try f.tensor("masked_mean_axis1"), "masked_mean axis 1")
        expectClose(try PPOMath.maskedVariance(values, mask), try f.tensor("masked_var"), "masked_var")
        expectClose(try PPOMath.maskedWhiten(values, mask), try f.tensor("masked_whiten"), "masked_whiten")
        expectClose(
            try PPOMath.maskedWhiten(values, mask, shiftMean: false), try f.tensor("masked_whiten_noshift"),
            "masked_whiten shift_mean=False")
        #expect(throws: TrainingError.emptyMask(what: "masked variance")) {
            try PPOMath.maskedVariance(values, Tensor.zeros(mask.shape))
        }
    }

    @Test(arguments: KLPenalty.allCases)
    func rewardsForEveryKLEstimator(_ kind: KLPenalty) throws {
        let f = try Self.tensors()
        let mask = try f.tensor("mask")
        let scores = try f.tensor("scores").values
        let (logprobs, refLogprobs) =
            kind == .full
            ? (try f.tensor("full_logprobs"), try f.tensor("ref_full_logprobs"))
            : (try f.tensor("logprobs"), try f.tensor("ref_logprobs"))
        let (rewards, nonScore, kls) = try PPOMath.rewards(
            scores: scores, logprobs: logprobs, refLogprobs: refLogprobs, mask: mask, klCoefficient: 0.2, kind: kind)
        expectClose(kls, try f.tensor("kls_\(kind.rawValue)"), "kls \(kind)")
        expectClose(nonScore, try f.tensor("non_score_\(kind.rawValue)"), "non-score rewards \(kind)")
        expectClose(rewards, try f.tensor("rewards_\(kind.rawValue)"), "rewards \(kind)")
    }

    @Test(arguments: [false, true])
    func advantagesAndReturns(whitenRewards: Bool) throws {
        let f = try Self.tensors()
        let suffix = whitenRewards ? "whitened" : "plain"
        let (values, advantages, returns) = try PPOMath.advantages(
            values: try f.tensor("values"), rewards: try f.tensor("rewards_kl"), mask: try f.tensor("mask"),
            gamma: 0.99, lambda: 0.95, whitenRewards: whitenRewards)
        expectClose(values, try f.tensor("adv_values_\(suffix)"), "values \(suffix)")
        expectClose(advantages, try f.tensor("advantages_\(suffix)"), "advantages \(suffix)")
        expectClose(returns, try f.tensor("returns_\(suffix)"), "returns \(suffix)")
    }

    @Test func clippedLossesStatisticsAndGradients() throws {
        let f = try Self.tensors()
        let reference = try #require(Self.scalars()["loss"] as? [String: Any])
        let logprobs = try f.tensor("new_logprobs").requiringGrad()
        let vpreds = try f.tensor("vpreds").requiringGrad()
        let (pgLoss, vfLoss, statistics) = try PPOMath.loss(
            oldLogprobs: try f.tensor("logprobs"), values: try f.tensor("adv_values_plain"),
            logits: try f.tensor("logits"),
            vpreds: vpreds, logprobs: logprobs, mask: try f.tensor("mask"),
            advantages: try f.tensor("advantages_plain"),
            returns: try f.tensor("returns_plain"), cliprange: 0.2, cliprangeValue: 0.2, vfCoefficient: 0.1,
            ratioThreshold: 10)
        expectClose(pgLoss.item, reference["pg_loss"], "pg_loss")
        expectClose(vfLoss.item, reference["vf_loss_scaled"], "vf_coef·vf_loss")
        try #require(!statistics.named.isEmpty, "no statistics to compare")
        for (name, value) in statistics.named {
            expectClose(value, reference[name], name)
        }
        #expect(!statistics.skipped)
        let grads = try (pgLoss + vfLoss).backward()
        expectClose(try #require(grads[logprobs]), try f.tensor("grad_logprobs"), "d loss / d logprobs")
        expectClose(try #require(grads[vpreds]), try f.tensor("grad_vpreds"), "d loss / d vpreds")
    }

    @Test func ratioThresholdSkipsTheBatch() throws {
        let f = try Self.tensors()
        let reference = try #require(Self.scalars()["skipped_loss"] as? [String: Any])
        let logprobs = (try f.tensor("new_logprobs") + 3).requiringGrad()
        let (pgLoss, vfLoss, statistics) = try PPOMath.loss(
            oldLogprobs: try f.tensor("logprobs"), values: try f.tensor("adv_values_plain"), logits: nil,
            vpreds: try f.tensor("vpreds"), logprobs: logprobs, mask: try f.tensor("mask"),
            advantages: try f.tensor("advantages_plain"), returns: try f.tensor("returns_plain"),
            cliprange: 0.2, cliprangeValue: 0.2, vfCoefficient: 0.1, ratioThreshold: 10)
        #expect(statistics.skipped)
        expectClose(statistics.ratioMean, reference["ratio_mean"], "ratio mean")
        #expect(pgLoss.item == 0 && vfLoss.item == 0)
        #expect(try (pgLoss + vfLoss).backward()[logprobs]?.values.allSatisfy { $0 == 0 } == true)
    }

    @Test func adaptiveKLControllerTrajectory() throws {
        let reference = try #require(Self.scalars()["kl_controller"] as? [String: Any])
        let klValues = try #require(reference["kl_values"] as? [Double])
        let expected = try #require(reference["values"] as? [Double])
        var controller = KLController.adaptive(initial: 0.2, target: 6, horizon: 10000)
        try #require(!klValues.isEmpty, "the fixture has no KL values")
        try #require(klValues.count == expected.count)
        for (kl, value) in zip(klValues, expected) {
            controller.update(current: kl, nSteps: 16)
            #expect(
                Swift.abs(controller.value - value) <= 1e-12 * Swift.abs(value),
                "after kl \(kl): \(controller.value) vs \(value)")
        }
        var fixed = KLController.fixed(0.3)
        fixed.update(current: 100, nSteps: 16)
        #expect(fixed.value == 0.3)
    }
}

@Suite struct PPOStatisticsTests {
    /// `record_step_stats` over two minibatches (rows 0, 2 and 1, 3) against trl's, every scalar to 1e-5.
    @Test func stepStatisticsMatchTRL() throws {
        let f = try PPOMathTests.tensors()
        let reference = try #require(PPOMathTests.scalars()["record_step_stats"] as? [String: Any])
        let expected = try #require(reference["stats"] as? [String: Double])
        let queryLengths = try #require(reference["query_lengths"] as? [Int])
        let responseLengths = try #require(reference["response_lengths"] as? [Int])
        let mask = try f.tensor("mask")
        var minibatches: [PPOLossStatistics] = []
        for rows in [[0, 2], [1, 3]] {
            func pick(_ name: String) throws -> Tensor { try f.tensor(name).indexSelect(rows) }
            let (_, _, stats) = try PPOMath.loss(
                oldLogprobs: try pick("logprobs"), values: try pick("adv_values_plain"), logits: try pick("logits"),
                vpreds: try pick("vpreds"), logprobs: try pick("new_logprobs"), mask: try pick("mask"),
                advantages: try pick("advantages_plain"), returns: try pick("returns_plain"),
                cliprange: 0.2, cliprangeValue: 0.2, vfCoefficient: 0.1, ratioThreshold: 10)
            minibatches.append(stats)
        }
        let scores = try f.tensor("scores").values.map(Double.init)
        let stats = PPOStatistics.record(
            klCoefficient: 0.2, scores: scores, rawScores: scores, logprobs: try f.tensor("logprobs"),
            referenceLogprobs: try f.tensor("ref_logprobs"), nonScoreRewards: try f.tensor("non_score_kl"),
            kls: try f.tensor("kls_kl"), mask: mask, queryLengths: queryLengths, responseLengths: responseLengths,
            minibatches: minibatches)
        try #require(!expected.isEmpty, "the fixture has no expected values")
        for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
            let ours = try #require(stats[key], "\(key) is missing")
            #expect(Swift.abs(ours - value) <= 1e-5 * Swift.max(1, Swift.abs(value)), "\(key): \(ours) vs \(value)")
        }
    }
}
