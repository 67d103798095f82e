import DetoxLoRA
import DetoxNN
import DetoxTensor
import Testing

/// An adapter rank from a file or a flag sizes `rank × (in + out)` allocations per layer: one
/// wider than the layer it adapts is refused before anything is allocated (it crashed the
/// process with `r: 1000000000` in `adapter_config.json`).
@Suite struct LoRARankBoundTests {
    @Test func rankWiderThanTheLayerIsRefused() throws {
        var generator = SeededGenerator(seed: 1)
        for rank in [1_000_000_000, Int.max] {
            do {
                try LoRA.apply(LoRAConfiguration(rank: rank, targets: .names(["q"])), to: Net(), generator: &generator)
                Issue.record("rank \(rank) was applied")
            } catch LoRAError.invalidSetting(let name, let reason) {
                #expect(name == "rank")
                #expect(reason.hasPrefix("\(rank) is wider than layer block.0.q"), "\(reason)")
            }
        }
        let net = Net()
        #expect(LoRA.adapters(in: net).isEmpty)
        let width = try #require(net.linearLayers().first { $0.path == "block.0.q" }).layer.inFeatures
        try LoRA.apply(LoRAConfiguration(rank: width, targets: .names(["q"])), to: net, generator: &generator)
        #expect(LoRA.adapters(in: net).count == 2)
    }
}
