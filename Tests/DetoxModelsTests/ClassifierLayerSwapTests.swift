import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Testing

/// Linear layers of every classifier can be replaced from outside (how LoRA and 4-bit layers enter).
@Suite struct ClassifierLayerSwapTests {
    /// A linear layer that doubles its base's output, to see that the swap took effect.
    final class Doubled: LinearLayer {
        let base: any LinearLayer
        init(_ base: any LinearLayer) { self.base = base }
        var inFeatures: Int { base.inFeatures }
        var outFeatures: Int { base.outFeatures }
        var namedChildren: [(name: String, module: any Module)] { [("base", base)] }
        func callAsFunction(_ x: Tensor) -> Tensor { base(x) * 2 }
    }

    @Test(arguments: ["electra", "roberta", "bert"])
    func everyProjectionIsSwappable(_ name: String) throws {
        let model = try SequenceClassifierModel.load(folder: ClassifierFixtures.folder(name))
        let batch = try ClassifierFixtures.expected(name).batch()
        let before = try model.classify(batch).logits.values
        let paths = model.linearLayers().map(\.path)
        #expect(paths.contains { $0.hasSuffix("attention.self.query") })
        #expect(paths.contains { $0.hasSuffix("attention.self.value") })
        let replaced = try model.replaceLinearLayers(
            where: { $0.hasSuffix(".query") }, with: { _, layer in Doubled(layer) })
        #expect(replaced.count == paths.filter { $0.hasSuffix(".query") }.count && !replaced.isEmpty)
        #expect(model.linearLayers().filter { $0.layer is Doubled }.count == replaced.count)
        #expect(try model.classify(batch).logits.values != before)
        // Everything else keeps working: every linear slot can be replaced.
        let all = try model.replaceLinearLayers(where: { _ in true }, with: { _, layer in layer })
        #expect(all.count == paths.count)
    }
}
