import Foundation

/// The summary statistics the before/after comparison reports.
public enum Statistics {
    /// Arithmetic mean; `nil` for an empty list.
    public static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    /// Population standard deviation (`np.std`, `ddof=0`), as the seed reports; `nil` when empty.
    public static func populationStandardDeviation(_ values: [Double]) -> Double? {
        guard let m = mean(values) else { return nil }
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)).squareRoot()
    }

    /// Sample standard deviation (`ddof=1`, `torch.std`); `nil` with fewer than two values.
    public static func sampleStandardDeviation(_ values: [Double]) -> Double? {
        guard values.count > 1, let m = mean(values) else { return nil }
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }

    /// `(after − before) / before × 100`: negative means the value went down (less toxic is
    /// better). `nil` — undefined, reported as such — when `before` is zero or either is not finite.
    public static func percentChange(before: Double, after: Double) -> Double? {
        guard before != 0, before.isFinite, after.isFinite else { return nil }
        return (after - before) / before * 100
    }

    /// A percentile-bootstrap confidence interval for `mean(after) − mean(before)` over paired
    /// samples: each resample draws `n` indices with replacement and keeps the pairing.
    /// Deterministic for a given seed. Returns `nil` for empty or mismatched inputs.
    public static func pairedBootstrapInterval(
        before: [Double], after: [Double], resamples: Int = 2000, confidence: Double = 0.95, seed: UInt64 = 0
    ) -> (low: Double, high: Double)? {
        guard !before.isEmpty, before.count == after.count, resamples > 0, confidence > 0, confidence < 1 else {
            return nil
        }
        let differences = zip(after, before).map { $0 - $1 }
        let n = differences.count
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            // SplitMix64: small, fast and good enough for resampling indices.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var total = 0.0
            for _ in 0..<n { total += differences[Int(next() % UInt64(n))] }
            means[r] = total / Double(n)
        }
        means.sort()
        let alpha = (1 - confidence) / 2
        func quantile(_ q: Double) -> Double {
            // Linear interpolation between order statistics (NumPy's default "linear" method).
            let position = q * Double(resamples - 1)
            let lower = Int(position.rounded(.down))
            let upper = Swift.min(lower + 1, resamples - 1)
            let weight = position - Double(lower)
            return means[lower] * (1 - weight) + means[upper] * weight
        }
        return (quantile(alpha), quantile(1 - alpha))
    }
}

/// How per-text toxicity scores are combined, as `evaluate`'s `toxicity` measurement's
/// `aggregation` argument.
public enum ToxicityAggregation: Sendable, Equatable {
    /// Every score (`aggregation=None`).
    case all
    /// The largest score (`"maximum"`).
    case maximum
    /// The fraction of scores at or above the threshold (`"ratio"`, threshold 0.5 by default).
    case ratio(threshold: Double)

    /// Applies the aggregation; `all` returns the scores unchanged.
    public func apply(_ scores: [Double]) -> [Double] {
        switch self {
        case .all: return scores
        case .maximum: return scores.max().map { [$0] } ?? []
        case .ratio(let threshold):
            guard !scores.isEmpty else { return [] }
            return [Double(scores.filter { $0 >= threshold }.count) / Double(scores.count)]
        }
    }
}
