// Port of rouge-score 0.1.2 `rouge_score/rouge_scorer.py` (`RougeScorer`, `_create_ngrams`,
// `_score_ngrams`, `_score_lcs`, `_summary_level_lcs`), the scorer Hugging Face `evaluate`'s
// "rouge" metric runs (`rouge_scorer.RougeScorer(rouge_types=..., use_stemmer=...)`).

/// ROUGE scores identical to rouge-score 0.1.2's `RougeScorer` with its default tokenizer and
/// `split_summaries=False`.
///
/// - ROUGE-N: n-gram overlap with clipped counts; precision = overlap / max(prediction n-grams, 1),
///   recall = overlap / max(target n-grams, 1).
/// - ROUGE-L: LCS of the whole token sequences over each side's token count; 0 if a side has none.
/// - ROUGE-Lsum: Lin's summary-level union-LCS. Each text is split into sentences on `"\n"` only
///   (empty lines dropped, whitespace-only lines kept as sentences without tokens), and the hits
///   are clipped by each token's counts on both sides, as ROUGE-1.5.5 does.
///
/// For ROUGE-Lsum the caller must put each sentence on its own line, as `evaluate` users do with
/// `"\n".join(nltk.sent_tokenize(text))`: a text without newlines scores ROUGE-Lsum = ROUGE-L.
/// rouge-score's `split_summaries=True` (sentence splitting with nltk's punkt) is not provided.
public struct RougeScorer: Sendable {
    /// The types scored, in order.
    public let types: [RougeType]
    /// The tokenizer (rouge-score `DefaultTokenizer(use_stemmer:)`).
    public let tokenizer: RougeTokenizer

    /// Whether tokens longer than three characters are Porter-stemmed before matching.
    public var useStemmer: Bool { tokenizer.useStemmer }

    /// Creates a scorer, as rouge-score `RougeScorer(rouge_types, use_stemmer=...)`.
    ///
    /// - Throws: ``EvaluationError/invalidSetting(name:reason:)`` if `types` is empty or holds a
    ///   `rougeN(n)` with n < 1.
    public init(types: [RougeType] = [.rouge1, .rouge2, .rougeL, .rougeLsum], useStemmer: Bool = false) throws {
        guard !types.isEmpty else {
            throw EvaluationError.invalidSetting(name: "rouge types", reason: "no ROUGE type requested")
        }
        for case .rougeN(let n) in types where n < 1 {
            throw EvaluationError.invalidSetting(name: "rouge type", reason: "rougen requires positive n: rouge\(n)")
        }
        self.types = types
        self.tokenizer = RougeTokenizer(useStemmer: useStemmer)
    }

    // MARK: - Scoring one pair

    /// Scores `prediction` against `target` (rouge-score `score(target, prediction)`; `evaluate`
    /// calls it with the reference as `target`).
    public func score(target: String, prediction: String) -> [RougeType: RougeScore] {
        var vocabulary: [String: Int] = [:]
        func intern(_ tokens: [String]) -> [Int] {
            tokens.map { token in
                if let id = vocabulary[token] { return id }
                let id = vocabulary.count
                vocabulary[token] = id
                return id
            }
        }

        let needsWholeText = types.contains { $0 != .rougeLsum }
        let targetIDs = needsWholeText ? intern(tokenizer.tokenize(target)) : []
        let predictionIDs = needsWholeText ? intern(tokenizer.tokenize(prediction)) : []
        var targetSentences: [[Int]]? = nil
        var predictionSentences: [[Int]]? = nil

        var result: [RougeType: RougeScore] = [:]
        for type in types {
            switch type {
            case .rougeN(let n):
                result[type] = Self.ngramScore(target: targetIDs, prediction: predictionIDs, n: n)
            case .rougeL:
                result[type] = Self.lcsScore(target: targetIDs, prediction: predictionIDs)
            case .rougeLsum:
                if targetSentences == nil {
                    targetSentences = sentences(target).map { intern(tokenizer.tokenize(scalars: $0)) }
                    predictionSentences = sentences(prediction).map { intern(tokenizer.tokenize(scalars: $0)) }
                }
                result[type] = Self.summaryLevelLCS(
                    target: targetSentences ?? [], prediction: predictionSentences ?? [],
                    vocabularySize: vocabulary.count)
            }
        }
        return result
    }

    /// Scores `prediction` against each target and keeps, per type, the target's score with the
    /// highest F-measure (the first one on ties), as rouge-score `score_multi` (`np.argmax`).
    ///
    /// - Throws: ``EvaluationError/invalidSetting(name:reason:)`` if `targets` is empty.
    public func scoreMulti(targets: [String], prediction: String) throws -> [RougeType: RougeScore] {
        guard !targets.isEmpty else {
            throw EvaluationError.invalidSetting(name: "targets", reason: "score_multi needs at least one target")
        }
        let all = targets.map { score(target: $0, prediction: prediction) }
        var best: [RougeType: RougeScore] = [:]
        for type in types {
            for scores in all {
                guard let s = scores[type] else { continue }
                // np.argmax: the first maximum; NaN cannot occur (F is 0 when P + R is 0).
                if let current = best[type], !(s.fmeasure > current.fmeasure) { continue }
                best[type] = s
            }
        }
        return best
    }

    // MARK: - Aggregating

    /// The mean precision, recall and F-measure of each type over the pairs (each field averaged
    /// on its own).
    ///
    /// `evaluate.load("rouge").compute(predictions:, references:)` with `use_aggregator=True`
    /// returns instead the `mid` F-measure of rouge-score's `BootstrapAggregator`: the median of
    /// 1000 means of resamples drawn with numpy's global, unseeded RNG, so not reproducible. It lies
    /// near this mean: on the 339-pair test corpus (numpy seed 0) the two differ by up to 1.5e-3.
    ///
    /// - Throws: ``EvaluationError/mismatchedInputs(what:expected:actual:)`` if the lists differ in
    ///   length, ``EvaluationError/invalidSetting(name:reason:)`` if they are empty.
    public func aggregate(targets: [String], predictions: [String]) throws -> [RougeType: RougeScore] {
        guard targets.count == predictions.count else {
            throw EvaluationError.mismatchedInputs(
                what: "ROUGE predictions per target", expected: targets.count, actual: predictions.count)
        }
        guard !targets.isEmpty else {
            throw EvaluationError.invalidSetting(name: "targets", reason: "no pairs to aggregate")
        }
        var sums: [RougeType: RougeScore] = [:]
        for (target, prediction) in zip(targets, predictions) {
            for (type, s) in score(target: target, prediction: prediction) {
                var sum = sums[type] ?? .zero
                sum.precision += s.precision
                sum.recall += s.recall
                sum.fmeasure += s.fmeasure
                sums[type] = sum
            }
        }
        let count = Double(targets.count)
        return sums.mapValues {
            RougeScore(precision: $0.precision / count, recall: $0.recall / count, fmeasure: $0.fmeasure / count)
        }
    }

    /// The mean F-measure of each type over the pairs (see ``aggregate(targets:predictions:)``).
    public func meanFMeasure(targets: [String], predictions: [String]) throws -> [RougeType: Double] {
        try aggregate(targets: targets, predictions: predictions).mapValues(\.fmeasure)
    }

    // MARK: - ROUGE-N

    /// rouge-score `_score_ngrams(_create_ngrams(target, n), _create_ngrams(prediction, n))`.
    static func ngramScore(target: [Int], prediction: [Int], n: Int) -> RougeScore {
        let targetCount = max(target.count - n + 1, 0)
        let predictionCount = max(prediction.count - n + 1, 0)
        var overlap = 0
        if targetCount > 0 && predictionCount > 0 {
            if n == 1 {
                var counts: [Int: Int] = [:]
                for t in target { counts[t, default: 0] += 1 }
                for p in prediction {
                    if let c = counts[p], c > 0 {
                        overlap += 1
                        counts[p] = c - 1
                    }
                }
            } else {
                var counts: [ArraySlice<Int>: Int] = [:]
                for i in 0..<targetCount { counts[target[i..<(i + n)], default: 0] += 1 }
                for i in 0..<predictionCount {
                    let gram = prediction[i..<(i + n)]
                    if let c = counts[gram], c > 0 {
                        overlap += 1
                        counts[gram] = c - 1
                    }
                }
            }
        }
        let precision = Double(overlap) / Double(max(predictionCount, 1))
        let recall = Double(overlap) / Double(max(targetCount, 1))
        return RougeScore(precision: precision, recall: recall)
    }

    // MARK: - ROUGE-L

    /// rouge-score `_score_lcs`.
    static func lcsScore(target: [Int], prediction: [Int]) -> RougeScore {
        guard !target.isEmpty, !prediction.isEmpty else { return .zero }
        let lcs = Double(RougeLCS.length(target, prediction))
        return RougeScore(precision: lcs / Double(prediction.count), recall: lcs / Double(target.count))
    }

    // MARK: - ROUGE-Lsum

    /// The lines of `text` as rouge-score's `text.split("\n")` without the empty ones (`\r` and
    /// other whitespace stay in their line and make no token).
    private func sentences(_ text: String) -> [Substring.UnicodeScalarView] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: true)
    }

    /// rouge-score `_summary_level_lcs(ref_sent, can_sent)`: for each target sentence, the union of
    /// its LCS with each prediction sentence; a hit counts while the token has uses left on both
    /// sides.
    static func summaryLevelLCS(target: [[Int]], prediction: [[Int]], vocabularySize: Int) -> RougeScore {
        guard !target.isEmpty, !prediction.isEmpty else { return .zero }
        let m = target.reduce(0) { $0 + $1.count }
        let n = prediction.reduce(0) { $0 + $1.count }
        guard m > 0, n > 0 else { return .zero }

        var targetCounts = [Int](repeating: 0, count: vocabularySize)
        var predictionCounts = [Int](repeating: 0, count: vocabularySize)
        for sentence in target { for t in sentence { targetCounts[t] += 1 } }
        for sentence in prediction { for t in sentence { predictionCounts[t] += 1 } }

        var table: [Int] = []
        var mask: [Bool] = []
        var hits = 0
        for ref in target {
            mask.removeAll(keepingCapacity: true)
            mask.append(contentsOf: repeatElement(false, count: ref.count))
            for can in prediction {
                RougeLCS.fill(&table, ref: ref, can: can)
                RougeLCS.markBacktrack(table, ref: ref, can: can, mask: &mask)
            }
            // sorted(set().union(*lcs_list)): ascending indices into `ref`.
            for i in 0..<ref.count where mask[i] {
                let t = ref[i]
                if predictionCounts[t] > 0 && targetCounts[t] > 0 {
                    hits += 1
                    predictionCounts[t] -= 1
                    targetCounts[t] -= 1
                }
            }
        }
        return RougeScore(precision: Double(hits) / Double(n), recall: Double(hits) / Double(m))
    }
}
