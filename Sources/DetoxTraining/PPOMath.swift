// Port of the per-step PPO computations of trl `trl/trainer/ppo_trainer.py` and `trl/core.py`
// (v0.11.4): KL penalties, per-token rewards, GAE with whitening, the clipped losses and their
// statistics. Every tensor is `[batch, responseLength]` with a 0/1 `mask` of the same shape.

import DetoxTensor

/// How the per-token KL between the policy and the reference is estimated (`PPOConfig.kl_penalty`).
public enum KLPenalty: String, Sendable, Codable, CaseIterable {
    /// `logp − ref_logp`.
    case kl
    /// `|logp − ref_logp|`.
    case abs
    /// `½ (logp − ref_logp)²`.
    case mse
    /// The full-vocabulary KL, `Σ_v p(v) (log p(v) − log ref(v))`, from full log-softmax tensors.
    case full
}

/// The numbers one PPO minibatch loss reports, under TRL's names (without the `ppo/` prefix).
public struct PPOLossStatistics: Sendable, Equatable {
    public var policyLoss: Float
    public var valueLoss: Float
    public var totalLoss: Float
    public var entropy: Float
    public var approxKL: Float
    public var policyKL: Float
    public var policyClipFraction: Float
    public var advantagesMean: Float
    public var returnsMean: Float
    public var returnsVariance: Float
    public var valuePrediction: Float
    public var valueError: Float
    public var valueClipFraction: Float
    public var valuesMean: Float
    public var valuesVariance: Float
    /// The masked mean of the probability ratio (the batch is skipped above `ratio_threshold`).
    public var ratioMean: Float
    /// Whether `ratio_threshold` zeroed this minibatch's losses.
    public var skipped: Bool

    /// As TRL's flattened dict keys (`loss/policy`, `policy/approxkl`, ...).
    public var named: [(String, Float)] {
        [
            ("loss/policy", policyLoss), ("loss/value", valueLoss), ("loss/total", totalLoss),
            ("policy/entropy", entropy), ("policy/approxkl", approxKL), ("policy/policykl", policyKL),
            ("policy/clipfrac", policyClipFraction), ("policy/advantages_mean", advantagesMean),
            ("returns/mean", returnsMean), ("returns/var", returnsVariance),
            ("val/vpred", valuePrediction), ("val/error", valueError), ("val/clipfrac", valueClipFraction),
            ("val/mean", valuesMean), ("val/var", valuesVariance),
        ]
    }
}

/// PPO's tensor arithmetic, TRL-compatible. Differentiable where TRL backpropagates (the losses
/// with respect to `logprobs` and `vpreds`).
public enum PPOMath {
    // MARK: - Masked statistics (trl/core.py)

    /// `Σ v·m / Σ m` over everything.
    public static func maskedMean(_ values: Tensor, _ mask: Tensor) -> Tensor {
        (values * mask).sum() / mask.sum()
    }

    /// `Σ v·m / Σ m` along `axis`.
    public static func maskedMean(_ values: Tensor, _ mask: Tensor, axis: Int) -> Tensor {
        (values * mask).sum(axis: axis) / mask.sum(axis: axis)
    }

    /// The masked variance with Bessel's correction `n/(n−1)` (`masked_var(unbiased=True)`).
    public static func maskedVariance(_ values: Tensor, _ mask: Tensor, unbiased: Bool = true) throws -> Tensor {
        let mean = maskedMean(values, mask)
        let centered = values - mean
        var variance = maskedMean(centered * centered, mask)
        if unbiased {
            let count = mask.detached().sum().item
            guard count > 0 else { throw TrainingError.emptyMask(what: "masked variance") }
            variance = variance * (count / (count - 1))
        }
        return variance
    }

    /// `(v − mean) · rsqrt(var + 1e-8)`, adding the mean back when `shiftMean` is false.
    public static func maskedWhiten(_ values: Tensor, _ mask: Tensor, shiftMean: Bool = true) throws -> Tensor {
        let mean = maskedMean(values, mask)
        let variance = try maskedVariance(values, mask)
        let whitened = (values - mean) * (variance + 1e-8).rsqrt()
        return shiftMean ? whitened : whitened + mean
    }

    /// `logsumexp(logits) − Σ softmax(logits)·logits` over the last axis (``Tensor/softmaxEntropy()``).
    /// A statistic: not differentiable.
    public static func entropy(logits: Tensor) -> Tensor { logits.softmaxEntropy() }

    // MARK: - Rewards

    /// The per-token KL estimate. For ``KLPenalty/full`` the inputs are full log-softmax tensors
    /// `[B, T, V]` and the result sums over the vocabulary.
    public static func klPenalty(_ logprobs: Tensor, _ refLogprobs: Tensor, kind: KLPenalty) -> Tensor {
        switch kind {
        case .kl: return logprobs - refLogprobs
        case .abs: return (logprobs - refLogprobs).abs()
        case .mse:
            let d = logprobs - refLogprobs
            return d * d * 0.5
        case .full: return (logprobs.exp() * (logprobs - refLogprobs)).sum(axis: -1)
        }
    }

    /// `compute_rewards`: `non_score = −β·kl` at every position, plus the score on the last
    /// position whose mask is 1. Returns `(rewards, nonScoreRewards, kls)`, each `[B, T]`.
    public static func rewards(
        scores: [Float], logprobs: Tensor, refLogprobs: Tensor, mask: Tensor, klCoefficient: Double, kind: KLPenalty
    ) throws -> (rewards: Tensor, nonScore: Tensor, kls: Tensor) {
        let kls = Tensor.withNoGrad { klPenalty(logprobs, refLogprobs, kind: kind) }
        return try rewards(scores: scores, kls: kls, mask: mask, klCoefficient: klCoefficient)
    }

    /// `compute_rewards` from per-token KL estimates already taken (``klPenalty(_:_:kind:)``, `[B, T]`).
    public static func rewards(
        scores: [Float], kls: Tensor, mask: Tensor, klCoefficient: Double
    ) throws -> (rewards: Tensor, nonScore: Tensor, kls: Tensor) {
        guard kls.shape == mask.shape else {
            throw TrainingError.shapeMismatch(what: "kl vs mask", expected: mask.shape, actual: kls.shape)
        }
        let batch = mask.shape[0]
        let length = mask.shape[1]
        guard scores.count == batch else {
            throw TrainingError.shapeMismatch(what: "scores", expected: [batch], actual: [scores.count])
        }
        let nonScore = Tensor.withNoGrad { kls * Float(-klCoefficient) }
        let m = mask.values
        var rewards = nonScore.values
        for b in 0..<batch {
            guard let last = (0..<length).last(where: { m[b * length + $0] != 0 }) else {
                throw TrainingError.emptyMask(what: "response \(b)")
            }
            rewards[b * length + last] += scores[b]
        }
        return (Tensor(rewards, shape: mask.shape), nonScore, kls)
    }

    // MARK: - Advantages

    /// `compute_advantages`: generalized advantage estimation backwards over the padded length,
    /// `returns = advantages + values`, then advantages whitened over the mask.
    /// Returns `(values·mask, advantages, returns)`.
    public static func advantages(
        values: Tensor, rewards: Tensor, mask: Tensor, gamma: Double, lambda: Double, whitenRewards: Bool
    ) throws -> (values: Tensor, advantages: Tensor, returns: Tensor) {
        try Tensor.withNoGrad {
            let maskedValues = values * mask
            var maskedRewards = rewards * mask
            if whitenRewards { maskedRewards = try maskedWhiten(maskedRewards, mask, shiftMean: false) }
            let batch = mask.shape[0]
            let length = mask.shape[1]
            let v = maskedValues.values
            let r = maskedRewards.values
            var advantages = [Float](repeating: 0, count: batch * length)
            let g = Float(gamma)
            let gl = Float(gamma * lambda)
            for b in 0..<batch {
                var lastGAE: Float = 0
                for t in stride(from: length - 1, through: 0, by: -1) {
                    let next: Float = t < length - 1 ? v[b * length + t + 1] : 0
                    let delta = r[b * length + t] + g * next - v[b * length + t]
                    lastGAE = delta + gl * lastGAE
                    advantages[b * length + t] = lastGAE
                }
            }
            let raw = Tensor(advantages, shape: mask.shape)
            let returns = raw + maskedValues
            return (maskedValues, try maskedWhiten(raw, mask), returns)
        }
    }

    // MARK: - Loss

    /// TRL's `loss`: the clipped policy loss and the clipped value loss (scaled by `vfCoefficient`),
    /// each a masked mean; both are zeroed (gradients too) when the mean ratio exceeds
    /// `ratioThreshold`. `logits` (`[B, T, V]`) feed only the entropy statistic.
    public static func loss(
        oldLogprobs: Tensor, values: Tensor, logits: Tensor?, vpreds: Tensor, logprobs: Tensor, mask: Tensor,
        advantages: Tensor, returns: Tensor, cliprange: Double, cliprangeValue: Double, vfCoefficient: Double,
        ratioThreshold: Double
    ) throws -> (policyLoss: Tensor, valueLoss: Tensor, statistics: PPOLossStatistics) {
        let old = oldLogprobs.detached()
        let oldValues = values.detached()
        let a = advantages.detached()
        let target = returns.detached()
        let m = mask.detached()
        let low = oldValues - Float(cliprangeValue)
        let high = oldValues + Float(cliprangeValue)
        let vpredClipped = vpreds.minimum(high).maximum(low)
        let vfLosses1 = (vpreds - target) * (vpreds - target)
        let vfLosses2 = (vpredClipped - target) * (vpredClipped - target)
        var vfLoss = maskedMean(vfLosses1.maximum(vfLosses2), m) * 0.5
        let vfClipFraction = maskedMean(vfLosses2.detached().compare(.greater, vfLosses1.detached()), m)

        let ratio = (logprobs - old).exp()
        let pgLosses = -a * ratio
        let pgLosses2 = -a * ratio.clamped(min: Float(1 - cliprange), max: Float(1 + cliprange))
        var pgLoss = maskedMean(pgLosses.maximum(pgLosses2), m)
        let pgClipFraction = maskedMean(pgLosses2.detached().compare(.greater, pgLosses.detached()), m)

        var total = pgLoss + vfLoss * Float(vfCoefficient)
        let ratioMean = maskedMean(ratio.detached(), m).item
        let skipped = Double(ratioMean) > ratioThreshold
        if skipped {
            pgLoss = pgLoss * 0
            vfLoss = vfLoss * 0
            total = total * 0
        }

        let scaledValueLoss = vfLoss * Float(vfCoefficient)
        return try Tensor.withNoGrad {
            let lp = logprobs.detached()
            let vp = vpreds.detached()
            let entropy = logits.map { maskedMean(PPOMath.entropy(logits: $0.detached()), m).item } ?? .nan
            let difference = lp - old
            let statistics = PPOLossStatistics(
                policyLoss: pgLoss.item, valueLoss: vfLoss.item, totalLoss: total.item, entropy: entropy,
                approxKL: (maskedMean(difference * difference, m) * 0.5).item,
                policyKL: maskedMean(old - lp, m).item,
                policyClipFraction: pgClipFraction.item,
                advantagesMean: maskedMean(a, m).item,
                returnsMean: maskedMean(target, m).item,
                returnsVariance: try maskedVariance(target, m).item,
                valuePrediction: maskedMean(vp, m).item,
                valueError: maskedMean((vp - target) * (vp - target), m).item,
                valueClipFraction: vfClipFraction.item,
                valuesMean: maskedMean(oldValues, m).item,
                valuesVariance: try maskedVariance(oldValues, m).item,
                ratioMean: ratioMean, skipped: skipped)
            return (pgLoss, scaledValueLoss, statistics)
        }
    }
}
