import DetoxNN
import DetoxTensor
import Testing

/// A block declared with slots, as a model family's layers are: one name per child.
final class SlotBlock: SlottedModule {
    var proj: any LinearLayer
    var head: (any LinearLayer)?
    let norm: LayerNorm
    let extra: Embedding?
    let dropout: Dropout

    static let proj = ModuleSlot.linear("c_attn", \SlotBlock.proj)
    static let head = ModuleSlot.linear("lm_head", \SlotBlock.head)
    static let norm = ModuleSlot.child("ln_1", \SlotBlock.norm)
    static let extra = ModuleSlot.child("wpe", \SlotBlock.extra)
    static let dropout = ModuleSlot.child("drop", \SlotBlock.dropout)
    static let slots = [proj, head, norm, extra, dropout]

    init(weights: WeightBuilder, withHead: Bool, withExtra: Bool) throws {
        proj = try weights.linear(Self.proj, inFeatures: 4, outFeatures: 6, bias: true, std: 0.5)
        head = withHead ? try weights.linear(Self.head, inFeatures: 4, outFeatures: 3, bias: false, std: 0.5) : nil
        norm = try weights.layerNorm(Self.norm, dimension: 4, epsilon: 1e-5)
        extra = withExtra ? try weights.embedding(Self.extra, count: 5, dimension: 4, std: 1, paddingIndex: 2) : nil
        dropout = weights.dropout(0.1)
    }
}

@Suite("Slots and the weight builder")
struct WeightBuilderTests {
    @Test("the slot table gives the children, skipping absent optional ones, in declaration order")
    func childrenFromSlots() throws {
        let generator = SeededGenerator(seed: 3)
        let full = try SlotBlock(
            weights: WeightBuilder(generator: generator, dropoutSeeds: DropoutSeeds(first: 0)), withHead: true,
            withExtra: true)
        #expect(full.namedChildren.map(\.name) == ["c_attn", "lm_head", "ln_1", "wpe", "drop"])
        let bare = try SlotBlock(
            weights: WeightBuilder(generator: generator, dropoutSeeds: DropoutSeeds(first: 0)), withHead: false,
            withExtra: false)
        #expect(bare.namedChildren.map(\.name) == ["c_attn", "ln_1", "drop"])
        #expect(
            bare.parameters().map(\.name) == ["c_attn.weight", "c_attn.bias", "ln_1.weight", "ln_1.bias"])
    }

    @Test("linear slots swap through their key path; an absent optional one and other children do not")
    func replaceThroughSlots() throws {
        let weights = WeightBuilder(generator: SeededGenerator(seed: 1), dropoutSeeds: DropoutSeeds(first: 0))
        let block = try SlotBlock(weights: weights, withHead: false, withExtra: true)
        let replacement = Linear(weight: Tensor.zeros([6, 4]))
        #expect(block.replaceLinear(named: "c_attn", with: replacement))
        #expect(block.proj === replacement)
        #expect(!block.replaceLinear(named: "lm_head", with: replacement))
        #expect(block.head == nil)
        #expect(!block.replaceLinear(named: "ln_1", with: replacement))
        let paths = try block.replaceLinearLayers(where: { _ in true }, with: { _, layer in layer })
        #expect(paths == ["c_attn"])
    }

    @Test("a checkpoint builder reads scoped keys, follows aliases and reports what it did not use")
    func checkpointScopes() throws {
        let tensors: [String: Tensor] = [
            "h.0.c_attn.weight": Tensor.ones([6, 4]), "h.0.c_attn.bias": Tensor.zeros([6]),
            "h.0.ln_1.weight": Tensor.ones([4]), "h.0.ln_1.bias": Tensor.zeros([4]),
            "tied.weight": Tensor.full([3, 4], 2), "unused": Tensor.zeros([1]),
        ]
        let weights = WeightBuilder(
            checkpoint: tensors, source: "model.safetensors", aliases: ["h.0.lm_head.weight": ["tied.weight"]],
            dropoutSeeds: DropoutSeeds(first: 0))
        let block = try SlotBlock(weights: weights.scoped("h").scoped("0"), withHead: true, withExtra: false)
        #expect(block.proj.inFeatures == 4 && block.proj.outFeatures == 6)
        #expect((block.head as? Linear)?.weight.tensor.values == Array(repeating: 2, count: 12))
        #expect(weights.unusedKeys() == ["unused"])
        #expect(!weights.isInitializing && weights.generator == nil)
    }

    @Test("missing and misshapen tensors are typed errors naming the source and the full key")
    func checkpointErrors() throws {
        let weights = WeightBuilder(
            checkpoint: ["b.c_attn.weight": Tensor.ones([6, 4])], source: "file", dropoutSeeds: DropoutSeeds(first: 0))
        #expect(throws: NNError.missingTensor(source: "file", key: "b.c_attn.bias")) {
            try SlotBlock(weights: weights.scoped("b"), withHead: false, withExtra: false)
        }
        let wrong = WeightBuilder(
            checkpoint: ["c_attn.weight": Tensor.ones([4, 6])], source: "file", dropoutSeeds: DropoutSeeds(first: 0))
        #expect(
            throws: NNError.tensorShapeMismatch(
                source: "file", key: "c_attn.weight", expected: [6, 4], actual: [4, 6])
        ) {
            try SlotBlock(weights: wrong, withHead: false, withExtra: false)
        }
    }

    @Test("initialisation draws in build order from the seed, zeroes the padding row and seeds dropouts")
    func initialisation() throws {
        let a = WeightBuilder(generator: SeededGenerator(seed: 9), dropoutSeeds: DropoutSeeds(first: 5, stride: 3))
        let b = WeightBuilder(generator: SeededGenerator(seed: 9), dropoutSeeds: DropoutSeeds(first: 5, stride: 3))
        let first = try SlotBlock(weights: a, withHead: true, withExtra: true)
        let second = try SlotBlock(weights: b, withHead: true, withExtra: true)
        for ((name, p), (_, q)) in zip(first.parameters(), second.parameters()) {
            #expect(p.tensor.values == q.tensor.values, "\(name)")
        }
        // The generator moved on: a second model from the same builder differs.
        #expect(a.generator == b.generator && a.generator != SeededGenerator(seed: 9))
        var reference = SeededGenerator(seed: 9)
        let proj = Tensor.randomNormal([6, 4], std: 0.5, generator: &reference)
        #expect((first.proj as? Linear)?.weight.tensor.values == proj.values)
        #expect((first.proj as? Linear)?.bias?.tensor.values == Array(repeating: 0, count: 6))
        #expect(first.norm.weight.tensor.values == [1, 1, 1, 1])
        let table = try #require(first.extra).weight.tensor.values
        #expect(table[8..<12].allSatisfy { $0 == 0 } && table[0..<4].contains { $0 != 0 })
        #expect(a.dropout(0.5).generator == SeededGenerator(seed: 8))
        #expect(DropoutSeeds(first: 5, stride: 3).seed(at: 2) == 11)
    }
}
