import Detox
import Foundation
import Testing

@Suite struct FoundationDemoTests {
    /// The demo must actually learn the spirals and round-trip its checkpoint exactly.
    @Test func demoLearnsAndReloadsExactly() throws {
        var options = FoundationDemo.Options()
        options.steps = 300
        options.outputFolder = FileManager.default.temporaryDirectory.appendingPathComponent("detox-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: options.outputFolder) }
        let summary = try FoundationDemo.run(options) { _ in }
        #expect(summary.initialLoss > 0.6)
        #expect(summary.finalLoss < 0.2)
        #expect(summary.accuracy > 0.95)
        #expect(summary.reloadedOutputsIdentical)
        #expect(FileManager.default.fileExists(atPath: summary.checkpoint.path))
    }
}
