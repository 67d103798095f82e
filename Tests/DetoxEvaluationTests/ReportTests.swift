import DetoxEvaluation
import DetoxTestFiles
import Foundation
import Testing

@Suite struct StatisticsTests {
    /// Hand-worked: before [0.2, 0.4, 0.6] → mean 0.4, population std √(0.08/3) = 0.163299;
    /// after [0.1, 0.1, 0.4] → mean 0.2, std √(0.06/3) = 0.141421; changes −50% and −13.397%.
    @Test func meanStdAndPercentChange() throws {
        let before = [0.2, 0.4, 0.6]
        let after = [0.1, 0.1, 0.4]
        #expect(Swift.abs(Statistics.mean(before)! - 0.4) < 1e-12)
        #expect(Swift.abs(Statistics.populationStandardDeviation(before)! - 0.16329931618554522) < 1e-12)
        #expect(Swift.abs(Statistics.populationStandardDeviation(after)! - 0.1414213562373095) < 1e-12)
        #expect(Swift.abs(Statistics.sampleStandardDeviation(before)! - 0.2) < 1e-12)
        #expect(Swift.abs(Statistics.percentChange(before: 0.4, after: 0.2)! - (-50)) < 1e-12)
        #expect(
            Swift.abs(
                Statistics.percentChange(before: 0.16329931618554522, after: 0.1414213562373095)!
                    - (-13.397459621556135)) < 1e-9)
        // The seed's numbers: mean −90.03% means after ≈ 0.0997 × before.
        #expect(Swift.abs(Statistics.percentChange(before: 1, after: 0.0997)! - (-90.03)) < 1e-9)
        #expect(Statistics.mean([]) == nil)
        #expect(Statistics.sampleStandardDeviation([1]) == nil)
    }

    @Test func zeroBeforeIsUndefinedNotACrash() throws {
        #expect(Statistics.percentChange(before: 0, after: 0.3) == nil)
        let samples = (0..<3).map {
            SampleComparison(
                id: "\($0)", query: "q", reference: "r", responseBefore: "a", responseAfter: "b",
                rewardBefore: 1, rewardAfter: 2, toxicityBefore: 0, toxicityAfter: 0.1 * Double($0))
        }
        let summary = try ComparisonSummary(samples: samples)
        #expect(summary.toxicityMeanChangePercent == nil)
        #expect(summary.toxicityStdChangePercent == nil)
        #expect(HTMLReport.formatPercent(summary.toxicityMeanChangePercent) == "undefined")
        let json = String(decoding: try ComparisonReport(settings: [:], samples: samples).jsonData(), as: UTF8.self)
        #expect(!json.contains("toxicity_mean_change_percent\" : 0"))
    }

    @Test func bootstrapIntervalIsDeterministicAndCoversTheChange() throws {
        let before = (0..<50).map { 0.5 + 0.01 * Double($0 % 7) }
        let after = before.map { $0 - 0.3 }
        let a = try #require(Statistics.pairedBootstrapInterval(before: before, after: after, seed: 1))
        let b = try #require(Statistics.pairedBootstrapInterval(before: before, after: after, seed: 1))
        #expect(a.low == b.low && a.high == b.high)
        #expect(Swift.abs(a.low + 0.3) < 1e-9 && Swift.abs(a.high + 0.3) < 1e-9)
        var shifted: [Double] = []
        for (index, value) in before.enumerated() {
            let noise: Double = index % 2 == 0 ? 0.05 : -0.05
            shifted.append(value - 0.1 + noise)
        }
        let noisy = try #require(Statistics.pairedBootstrapInterval(before: before, after: shifted))
        #expect(noisy.low < -0.1 && noisy.high > -0.1)
        #expect(Statistics.pairedBootstrapInterval(before: [1], after: []) == nil)
    }

    @Test func toxicityAggregations() {
        let scores = [0.1, 0.5, 0.9, 0.3]
        #expect(ToxicityAggregation.all.apply(scores) == scores)
        #expect(ToxicityAggregation.maximum.apply(scores) == [0.9])
        #expect(ToxicityAggregation.ratio(threshold: 0.5).apply(scores) == [0.5])
    }
}

@Suite struct ReportTests {
    static func sampleReport() throws -> ComparisonReport {
        var samples: [SampleComparison] = []
        for i in 0..<6 {
            let x = Double(i)
            let rewardBefore = x * 0.5
            let rewardAfter: Double = rewardBefore + Double(i % 3)
            samples.append(
                SampleComparison(
                    id: "test_\(i)", query: "Summarize: #Person1#: \"hi\" <b>, & bye", reference: "ref \(i)",
                    responseBefore: "before, \(i)\nline", responseAfter: "after \(i)",
                    rewardBefore: rewardBefore, rewardAfter: rewardAfter,
                    toxicityBefore: 0.2 + 0.1 * x, toxicityAfter: 0.05 + 0.02 * x,
                    rougeBefore: ["rouge1": 0.30 + 0.01 * x], rougeAfter: ["rouge1": 0.28 + 0.01 * x],
                    lengthBefore: 20 + i, lengthAfter: 18 + i))
        }
        return try ComparisonReport(settings: ["policy": "tiny-t5", "toxic_label": "hate"], samples: samples)
    }

    @Test func pageHoldsEveryHeadlineNumberFromTheJSON() throws {
        let report = try Self.sampleReport()
        let log = TrainingLog(
            steps: (1...5).map {
                [
                    "step": Double($0), "env/reward_mean": Double($0) * 0.1, "objective/kl": 0.5,
                    "objective/kl_coef": 0.2, "ppo/loss/policy": -0.01, "ppo/loss/value": 0.3,
                ]
            })
        let html = HTMLReport.render(report, trainingLog: log)
        // Decode the JSON the stage writes and look for each headline number as the page prints it.
        let decoded = try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any]
        let summary = try #require(decoded?["summary"] as? [String: Any])
        for key in [
            "toxicity_mean_before", "toxicity_mean_after", "toxicity_std_before", "toxicity_std_after",
            "reward_mean_before", "reward_mean_after", "toxic_ratio_before", "toxic_ratio_after",
        ] {
            let value = try #require((summary[key] as? NSNumber)?.doubleValue, "\(key) missing from the JSON")
            #expect(html.contains(HTMLReport.format(value)), "page lacks \(key) = \(HTMLReport.format(value))")
        }
        for key in ["toxicity_mean_change_percent", "toxicity_std_change_percent"] {
            let value = (summary[key] as? NSNumber)?.doubleValue
            #expect(html.contains(HTMLReport.formatPercent(value)), "page lacks \(key)")
        }
        #expect(html.contains("&lt;b&gt;, &amp; bye") && !html.contains("<b>,"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 6)
    }

    @Test func csvQuotesAndSortsByRewardDifference() throws {
        let csv = try Self.sampleReport().csv()
        let lines = csv.components(separatedBy: "\r\n")
        #expect(
            lines[0]
                == "id,query,response_before,response_after,reward_before,reward_after,reward_diff,toxicity_before,toxicity_after"
        )
        #expect(lines[1].hasPrefix("test_2,") || lines[1].hasPrefix("test_5,"))
        #expect(csv.contains("\"before, 2\nline\""))
        #expect(csv.contains("\"Summarize: #Person1#: \"\"hi\"\" <b>, & bye\""))
    }

    @Test func filesAreWrittenAndReadBack() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try Self.sampleReport()
        let written = try report.write(to: folder, html: HTMLReport.render(report))
        #expect(written.map(\.lastPathComponent) == ["comparison.json", "comparison.csv", "report.html"])
        let back = try JSONDecoder().decode(ComparisonReport.self, from: Data(contentsOf: written[0]))
        #expect(back == report)
        #expect(throws: EvaluationError.self) { try report.write(to: URL(fileURLWithPath: "/proc/detox-cannot-write")) }
    }

    @Test func trainingLogReportsBadLines() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let url = folder.file("log.jsonl")
        try Data("{\"step\": 1, \"objective/kl\": 0.5}\n\nnot json\n".utf8).write(to: url)
        #expect(throws: EvaluationError.malformedLog(file: url.path, line: 3, reason: "not a JSON object")) {
            try TrainingLog(contentsOf: url)
        }
        try Data("{\"step\": 1, \"objective/kl\": 0.5}\n{\"step\": 2, \"objective/kl\": 0.7, \"note\": \"x\"}\n".utf8)
            .write(to: url)
        let log = try TrainingLog(contentsOf: url)
        #expect(log.series("objective/kl").map(\.y) == [0.5, 0.7])
    }
}
