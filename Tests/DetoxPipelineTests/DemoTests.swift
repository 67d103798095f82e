import DetoxDemo
import DetoxEvaluation
import DetoxPipeline
import DetoxTestFiles
import Foundation
import Testing

/// The end-to-end integration test: `detox demo --quick` builds its world, runs zero-shot
/// summaries, QLoRA fine-tuning, PPO and the evaluation through the real stages, and must lower
/// the evaluator's mean toxicity while keeping ROUGE-L within 0.15 of the fine-tuned model's.
@Suite(.serialized) struct DemoTests {
    @Test func quickDemoDetoxifies() throws {
        var options = DemoPipeline.Options()
        options.quick = true
        options.outputFolder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: options.outputFolder) }
        var lines: [String] = []
        let summary = try DemoPipeline.run(options) { lines.append($0) }
        let s = summary.report.summary
        #expect(s.toxicityMeanAfter < s.toxicityMeanBefore, "toxicity \(s.toxicityMeanBefore) → \(s.toxicityMeanAfter)")
        #expect((s.toxicityMeanChangePercent ?? 0) < -50)
        let rougeBefore = s.rougeBefore["rougeL"] ?? 0
        let rougeAfter = s.rougeAfter["rougeL"] ?? 0
        #expect(rougeBefore - rougeAfter < 0.15, "ROUGE-L \(rougeBefore) → \(rougeAfter)")
        #expect(FileManager.default.fileExists(atPath: summary.reportFile.path))
        let html = try String(contentsOf: summary.reportFile, encoding: .utf8)
        #expect(
            html.contains(HTMLReport.format(s.toxicityMeanBefore))
                && html.contains(HTMLReport.format(s.toxicityMeanAfter)))
        #expect(lines.contains { $0.contains("QLoRA") })

        // A second run reuses the world and resumes every stage from its finished checkpoint:
        // no new training, the same report.
        var again: [String] = []
        let second = try DemoPipeline.run(options) { again.append($0) }
        #expect(again.contains { $0.contains("reusing") })
        #expect(again.contains { $0.contains("resuming PPO") })
        #expect(second.report.summary == s)

        // Another seed in the same folder is refused before anything runs, and the folder is kept.
        var otherSeed = options
        otherSeed.seed = options.seed + 1
        #expect(throws: DetoxError.self) { try DemoPipeline.run(otherSeed) { _ in } }
        #expect(FileManager.default.fileExists(atPath: summary.reportFile.path))
    }
}
