// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5Attention._relative_position_bucket`
#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// T5's bucketing of relative positions for the learned attention bias.
///
/// The relative position is `key_position − query_position`. Small distances get a bucket each;
/// larger ones share logarithmically wider buckets up to `maxDistance`, beyond which all fall into
/// the last bucket. Bidirectional (encoder) attention spends half the buckets on positive offsets;
/// causal (decoder) attention uses all of them for non-positive offsets.
public enum T5RelativePosition {
    /// The bucket of one relative position, computed in f32 as transformers does (truncated toward zero).
    public static func bucket(_ relativePosition: Int, bidirectional: Bool, bucketCount: Int, maxDistance: Int) -> Int {
        var buckets = bucketCount
        var result = 0
        var n: Int
        if bidirectional {
            buckets /= 2
            if relativePosition > 0 { result += buckets }
            n = Swift.abs(relativePosition)
        } else {
            n = -Swift.min(relativePosition, 0)
        }
        let maxExact = buckets / 2
        if n < maxExact { return result + n }
        // float32 log of the ratio, divided by a float64 constant rounded to f32, as torch computes it.
        let ratio = logf(Float(n) / Float(maxExact))
        let scale = Float(log(Double(maxDistance) / Double(maxExact)))
        let large = maxExact + Int(ratio / scale * Float(buckets - maxExact))
        return result + Swift.min(large, buckets - 1)
    }

    /// Buckets of `key − query` for every query in `queryPositions` and key in `0..<keyLength`,
    /// row-major `[queries, keys]`.
    public static func buckets(
        queryPositions: Range<Int>, keyLength: Int, bidirectional: Bool, bucketCount: Int, maxDistance: Int
    ) -> [Int] {
        // Every entry depends only on key − query, so compute each distinct offset once.
        let lowest = 0 - (queryPositions.upperBound - 1)
        let highest = keyLength - 1 - queryPositions.lowerBound
        guard highest >= lowest else { return [] }
        var table = [Int](repeating: 0, count: highest - lowest + 1)
        for offset in lowest...highest {
            table[offset - lowest] = bucket(
                offset, bidirectional: bidirectional, bucketCount: bucketCount, maxDistance: maxDistance)
        }
        var result = [Int](repeating: 0, count: queryPositions.count * keyLength)
        for (row, query) in queryPositions.enumerated() {
            for key in 0..<keyLength { result[row * keyLength + key] = table[key - query - lowest] }
        }
        return result
    }
}
