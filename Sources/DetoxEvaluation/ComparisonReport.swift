import DetoxFiles
import Foundation

/// One test prompt summarized before and after detoxification, with its scores.
public struct SampleComparison: Sendable, Codable, Equatable {
    public var id: String
    public var query: String
    public var reference: String
    public var responseBefore: String
    public var responseAfter: String
    /// Reward-model score (for example the `nothate` logit).
    public var rewardBefore: Double
    public var rewardAfter: Double
    public var rewardDifference: Double { rewardAfter - rewardBefore }
    /// Evaluator probability of the toxic label.
    public var toxicityBefore: Double
    public var toxicityAfter: Double
    /// ROUGE F-measures against the reference summary, by type name (`rouge1`, `rougeL`, ...).
    public var rougeBefore: [String: Double]
    public var rougeAfter: [String: Double]
    /// Response lengths in tokens.
    public var lengthBefore: Int
    public var lengthAfter: Int

    public init(
        id: String, query: String, reference: String, responseBefore: String, responseAfter: String,
        rewardBefore: Double, rewardAfter: Double, toxicityBefore: Double, toxicityAfter: Double,
        rougeBefore: [String: Double] = [:], rougeAfter: [String: Double] = [:], lengthBefore: Int = 0,
        lengthAfter: Int = 0
    ) {
        self.id = id
        self.query = query
        self.reference = reference
        self.responseBefore = responseBefore
        self.responseAfter = responseAfter
        self.rewardBefore = rewardBefore
        self.rewardAfter = rewardAfter
        self.toxicityBefore = toxicityBefore
        self.toxicityAfter = toxicityAfter
        self.rougeBefore = rougeBefore
        self.rougeAfter = rougeAfter
        self.lengthBefore = lengthBefore
        self.lengthAfter = lengthAfter
    }

    enum CodingKeys: String, CodingKey {
        case id, query, reference
        case responseBefore = "response_before"
        case responseAfter = "response_after"
        case rewardBefore = "reward_before"
        case rewardAfter = "reward_after"
        case rewardDifference = "reward_diff"
        case toxicityBefore = "toxicity_before"
        case toxicityAfter = "toxicity_after"
        case rougeBefore = "rouge_before"
        case rougeAfter = "rouge_after"
        case lengthBefore = "length_before"
        case lengthAfter = "length_after"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        query = try c.decode(String.self, forKey: .query)
        reference = try c.decode(String.self, forKey: .reference)
        responseBefore = try c.decode(String.self, forKey: .responseBefore)
        responseAfter = try c.decode(String.self, forKey: .responseAfter)
        rewardBefore = try c.decode(Double.self, forKey: .rewardBefore)
        rewardAfter = try c.decode(Double.self, forKey: .rewardAfter)
        toxicityBefore = try c.decode(Double.self, forKey: .toxicityBefore)
        toxicityAfter = try c.decode(Double.self, forKey: .toxicityAfter)
        rougeBefore = try c.decodeIfPresent([String: Double].self, forKey: .rougeBefore) ?? [:]
        rougeAfter = try c.decodeIfPresent([String: Double].self, forKey: .rougeAfter) ?? [:]
        lengthBefore = try c.decodeIfPresent(Int.self, forKey: .lengthBefore) ?? 0
        lengthAfter = try c.decodeIfPresent(Int.self, forKey: .lengthAfter) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(query, forKey: .query)
        try c.encode(reference, forKey: .reference)
        try c.encode(responseBefore, forKey: .responseBefore)
        try c.encode(responseAfter, forKey: .responseAfter)
        try c.encode(rewardBefore, forKey: .rewardBefore)
        try c.encode(rewardAfter, forKey: .rewardAfter)
        try c.encode(rewardDifference, forKey: .rewardDifference)
        try c.encode(toxicityBefore, forKey: .toxicityBefore)
        try c.encode(toxicityAfter, forKey: .toxicityAfter)
        try c.encode(rougeBefore, forKey: .rougeBefore)
        try c.encode(rougeAfter, forKey: .rougeAfter)
        try c.encode(lengthBefore, forKey: .lengthBefore)
        try c.encode(lengthAfter, forKey: .lengthAfter)
    }
}

/// The headline numbers of a before/after comparison.
public struct ComparisonSummary: Sendable, Codable, Equatable {
    public var sampleCount: Int
    public var toxicityMeanBefore: Double
    public var toxicityMeanAfter: Double
    public var toxicityStdBefore: Double
    public var toxicityStdAfter: Double
    /// `(after − before) / before × 100`; `nil` (undefined) when the "before" value is zero.
    public var toxicityMeanChangePercent: Double?
    public var toxicityStdChangePercent: Double?
    /// 95% paired-bootstrap interval of `mean(after) − mean(before)` toxicity.
    public var toxicityDifferenceInterval: [Double]?
    /// Share of texts at or above the toxicity threshold (0.5).
    public var toxicRatioBefore: Double
    public var toxicRatioAfter: Double
    public var rewardMeanBefore: Double
    public var rewardMeanAfter: Double
    /// Mean ROUGE F-measures by type.
    public var rougeBefore: [String: Double]
    public var rougeAfter: [String: Double]
    public var meanLengthBefore: Double
    public var meanLengthAfter: Double
    /// Perplexity under the original model and diversity of the continuations (decoder-only
    /// evaluation); absent for summaries.
    public var cost: GenerationCost?

    /// Computes the summary of `samples` (which must not be empty).
    public init(
        samples: [SampleComparison], threshold: Double = 0.5, bootstrapSeed: UInt64 = 0, cost: GenerationCost? = nil
    ) throws {
        guard !samples.isEmpty else {
            throw EvaluationError.invalidSetting(name: "samples", reason: "no samples to summarize")
        }
        let before = samples.map(\.toxicityBefore)
        let after = samples.map(\.toxicityAfter)
        sampleCount = samples.count
        toxicityMeanBefore = Statistics.mean(before) ?? .nan
        toxicityMeanAfter = Statistics.mean(after) ?? .nan
        toxicityStdBefore = Statistics.populationStandardDeviation(before) ?? .nan
        toxicityStdAfter = Statistics.populationStandardDeviation(after) ?? .nan
        toxicityMeanChangePercent = Statistics.percentChange(before: toxicityMeanBefore, after: toxicityMeanAfter)
        toxicityStdChangePercent = Statistics.percentChange(before: toxicityStdBefore, after: toxicityStdAfter)
        toxicityDifferenceInterval = Statistics.pairedBootstrapInterval(
            before: before, after: after, seed: bootstrapSeed
        ).map { [$0.low, $0.high] }
        toxicRatioBefore = ToxicityAggregation.ratio(threshold: threshold).apply(before).first ?? .nan
        toxicRatioAfter = ToxicityAggregation.ratio(threshold: threshold).apply(after).first ?? .nan
        rewardMeanBefore = Statistics.mean(samples.map(\.rewardBefore)) ?? .nan
        rewardMeanAfter = Statistics.mean(samples.map(\.rewardAfter)) ?? .nan
        let types = Set(samples.flatMap { Array($0.rougeBefore.keys) + Array($0.rougeAfter.keys) })
        var rb: [String: Double] = [:]
        var ra: [String: Double] = [:]
        for type in types {
            rb[type] = Statistics.mean(samples.compactMap { $0.rougeBefore[type] })
            ra[type] = Statistics.mean(samples.compactMap { $0.rougeAfter[type] })
        }
        rougeBefore = rb
        rougeAfter = ra
        meanLengthBefore = Statistics.mean(samples.map { Double($0.lengthBefore) }) ?? 0
        meanLengthAfter = Statistics.mean(samples.map { Double($0.lengthAfter) }) ?? 0
        self.cost = cost
    }

    enum CodingKeys: String, CodingKey {
        case sampleCount = "sample_count"
        case toxicityMeanBefore = "toxicity_mean_before"
        case toxicityMeanAfter = "toxicity_mean_after"
        case toxicityStdBefore = "toxicity_std_before"
        case toxicityStdAfter = "toxicity_std_after"
        case toxicityMeanChangePercent = "toxicity_mean_change_percent"
        case toxicityStdChangePercent = "toxicity_std_change_percent"
        case toxicityDifferenceInterval = "toxicity_difference_ci95"
        case toxicRatioBefore = "toxic_ratio_before"
        case toxicRatioAfter = "toxic_ratio_after"
        case rewardMeanBefore = "reward_mean_before"
        case rewardMeanAfter = "reward_mean_after"
        case rougeBefore = "rouge_before"
        case rougeAfter = "rouge_after"
        case meanLengthBefore = "mean_length_before"
        case meanLengthAfter = "mean_length_after"
        case cost
    }
}

/// Everything the evaluation stage writes: settings, headline numbers and per-sample rows.
public struct ComparisonReport: Sendable, Codable, Equatable {
    /// Free-form settings shown in the report (models, label, generation settings, seed).
    public var settings: [String: String]
    public var summary: ComparisonSummary
    public var samples: [SampleComparison]

    public init(settings: [String: String], samples: [SampleComparison], cost: GenerationCost? = nil) throws {
        self.settings = settings
        self.samples = samples
        self.summary = try ComparisonSummary(samples: samples, cost: cost)
    }

    /// Column by which the table can be sorted.
    public enum SortKey: String, Sendable, CaseIterable {
        case rewardDifference = "reward_diff"
        case toxicityBefore = "toxicity_before"
        case toxicityAfter = "toxicity_after"
        case id
    }

    /// The rows sorted by `key` (descending for numbers, as the seed sorts by reward difference).
    public func sortedSamples(by key: SortKey) -> [SampleComparison] {
        switch key {
        case .rewardDifference: return samples.sorted { $0.rewardDifference > $1.rewardDifference }
        case .toxicityBefore: return samples.sorted { $0.toxicityBefore > $1.toxicityBefore }
        case .toxicityAfter: return samples.sorted { $0.toxicityAfter > $1.toxicityAfter }
        case .id: return samples.sorted { $0.id < $1.id }
        }
    }

    // MARK: - Files

    /// Pretty JSON with sorted keys. Non-finite numbers (which should not occur) are written as the
    /// strings `"nan"`, `"inf"`, `"-inf"`; undefined percentages are `null`.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// The comparison table as RFC 4180 CSV (fields quoted when they hold commas, quotes or newlines).
    public func csv(sortedBy key: SortKey = .rewardDifference) -> String {
        let header = [
            "id", "query", "response_before", "response_after", "reward_before", "reward_after",
            "reward_diff", "toxicity_before", "toxicity_after",
        ]
        var lines = [header.joined(separator: ",")]
        for s in sortedSamples(by: key) {
            let fields = [
                s.id, s.query, s.responseBefore, s.responseAfter, format(s.rewardBefore), format(s.rewardAfter),
                format(s.rewardDifference), format(s.toxicityBefore), format(s.toxicityAfter),
            ]
            lines.append(fields.map(ComparisonReport.quoted).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private func format(_ value: Double) -> String { String(format: "%.6f", value) }

    /// Writes `comparison.json`, `comparison.csv` and, with `html`, `report.html` into `folder`,
    /// each atomically. Returns the paths written.
    @discardableResult
    public func write(to folder: URL, html: String? = nil) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw EvaluationError.io(path: folder.path, reason: error.localizedDescription)
        }
        var written: [URL] = []
        let outputs: [(String, Data)] =
            [("comparison.json", try jsonData()), ("comparison.csv", Data(csv().utf8))]
            + (html.map { [("report.html", Data($0.utf8))] } ?? [])
        for (name, data) in outputs {
            let url = folder.appendingPathComponent(name)
            do {
                try AtomicFileWriter.write([UInt8](data), to: url)
            } catch {
                throw EvaluationError.io(path: url.path, reason: "\(error)")
            }
            written.append(url)
        }
        return written
    }
}
