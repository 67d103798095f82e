import DetoxDemo
import DetoxEvaluation
import DetoxPipeline
import DetoxTestFiles
import Foundation
import Testing

/// The decoder-only demo's quick variant: a tiny GPT-2 trained from scratch to insult in half of
/// its continuations, detoxified with PPO through the real stages. The evaluator's mean toxicity
/// must fall by more than half, while the perplexity of the continuations under the original model
/// rises by less than `perplexityBound` times.
@Suite(.serialized) struct CausalDemoTests {
    static let perplexityBound = 2.0

    @Test func quickCausalDemoDetoxifiesAtABoundedFluencyCost() throws {
        var options = CausalDemo.Options()
        options.quick = true
        options.outputFolder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: options.outputFolder) }
        var lines: [String] = []
        let summary = try CausalDemo.run(options) { lines.append($0) }
        let s = summary.report.summary
        #expect((s.toxicityMeanChangePercent ?? 0) < -50, "toxicity \(s.toxicityMeanBefore) → \(s.toxicityMeanAfter)")
        let cost = try #require(s.cost)
        #expect(
            cost.perplexityAfter < Self.perplexityBound * cost.perplexityBefore,
            "perplexity \(cost.perplexityBefore) → \(cost.perplexityAfter)")
        #expect(FileManager.default.fileExists(atPath: summary.reportFile.path))
        #expect(lines.contains { $0.contains("training the base GPT-2") })
    }
}
