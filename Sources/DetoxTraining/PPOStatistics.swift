import DetoxTensor

/// The per-step statistics of TRL's `record_step_stats` and `log_stats` (v0.11.4), as scalars
/// under TRL's names. Where TRL logs a whole tensor for a histogram (`objective/logprobs`,
/// `objective/ref_logprobs`), the masked mean is written instead.
public enum PPOStatistics {
    public static func record(
        klCoefficient: Double, scores: [Double], rawScores: [Double], logprobs: Tensor, referenceLogprobs: Tensor,
        nonScoreRewards: Tensor, kls: Tensor, mask: Tensor, queryLengths: [Int], responseLengths: [Int],
        minibatches: [PPOLossStatistics]
    ) -> [String: Double] {
        Tensor.withNoGrad {
            var stats: [String: Double] = [:]
            // objective/kl: the batch mean of each sequence's summed per-token KL.
            let klSums = (kls * mask).sum(axis: -1).values.map { Double($0) }
            stats["objective/kl"] = mean(klSums)
            stats["objective/kl_coef"] = klCoefficient
            stats["objective/entropy"] = Double((-logprobs * mask).sum(axis: -1).mean().item)
            stats["objective/logprobs"] = Double(PPOMath.maskedMean(logprobs, mask).item)
            stats["objective/ref_logprobs"] = Double(PPOMath.maskedMean(referenceLogprobs, mask).item)
            stats["ppo/mean_non_score_reward"] = Double(PPOMath.maskedMean(nonScoreRewards, mask).item)
            stats["ppo/mean_scores"] = mean(scores)
            stats["ppo/std_scores"] = sampleStd(scores)
            stats["env/reward_mean"] = mean(rawScores)
            stats["env/reward_std"] = sampleStd(rawScores)
            let q = queryLengths.map(Double.init)
            let r = responseLengths.map(Double.init)
            stats["tokens/queries_len_mean"] = mean(q)
            stats["tokens/queries_len_std"] = sampleStd(q)
            stats["tokens/responses_len_mean"] = mean(r)
            stats["tokens/responses_len_std"] = sampleStd(r)
            // ppo/*: each loss statistic averaged over the minibatches.
            for (name, _) in minibatches.first?.named ?? [] {
                let values = minibatches.compactMap { s in s.named.first { $0.0 == name }?.1 }.map(Double.init)
                stats["ppo/\(name)"] = mean(values)
            }
            if let error = stats["ppo/val/error"], let variance = stats["ppo/returns/var"] {
                stats["ppo/val/var_explained"] = 1 - error / variance
            }
            return stats
        }
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

    /// `torch.std` (Bessel-corrected); NaN for fewer than two values, as torch gives.
    static func sampleStd(_ xs: [Double]) -> Double {
        guard xs.count > 1 else { return .nan }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }
}
