import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import DetoxTraining
import Testing

/// Dropout masks keyed by the global row (``DropoutRows``): a batch split into two shards, each
/// padded to its own length, gives the whole batch's gradients once the shards' token-weighted
/// losses are summed — what two ranks of a data-parallel fine-tune compute — with every dropout of
/// the model on (hidden, attention weights, LoRA).
@Suite struct ShardedDropoutTests {
    /// Prompts and targets of different lengths, so each shard pads differently from the whole batch.
    static let prompts = [[5, 6, 7], [8, 9, 10, 11, 12, 13, 14], [15, 16, 17, 18, 19], [20, 21, 22, 23]]
    static let targets = [[30, 31, 32, 1], [33, 1], [34, 35, 36, 37, 38, 1], [39, 40, 1]]

    static func t5() throws -> any LanguageModel { try TinyWorld.adaptedModel().0 }

    static func gpt2() throws -> any LanguageModel {
        let configuration = try GPT2Configuration(
            vocabularySize: 64, positionCount: 32, hiddenSize: 32, layerCount: 2, headCount: 4, bosTokenID: 1,
            eosTokenID: 1)
        let model = try GPT2LMHeadModel(configuration: configuration, seed: 3)
        var generator = SeededGenerator(seed: 4)
        try LoRA.apply(
            LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.2, targets: .names(["c_attn", "c_proj"])), to: model,
            generator: &generator)
        return model
    }

    /// The gradients of `rows` of the batch, the loss weighted by their share of the target
    /// tokens, with the dropout generators restored to `generators` first (every rank starts a
    /// forward pass from the same generator state).
    static func gradients(
        _ model: any LanguageModel, rows: Range<Int>, generators: [String: SeededGenerator]
    ) throws -> (GradStore, Float) {
        model.restoreDropoutGenerators(generators)
        let total = Float(targets.joined().count)
        let loss = try DropoutRows.withGlobalRows(Array(rows)) {
            try model.supervisedLoss(prompts: Array(prompts[rows]), targets: Array(targets[rows]))
        }
        let weighted = loss * (Float(targets[rows].joined().count) / total)
        return (try weighted.backward(), weighted.item)
    }

    @Test(arguments: ["t5", "gpt2"]) func shardsWithTheirOwnPaddingGiveTheWholeBatchsGradients(family: String) throws {
        let model = try family == "t5" ? Self.t5() : Self.gpt2()
        model.setTraining(true)
        let generators = model.dropoutGenerators()
        try #require(model.dropoutLayers().contains { $0.layer.isActive })
        let (whole, wholeLoss) = try Self.gradients(model, rows: 0..<4, generators: generators)
        let (first, firstLoss) = try Self.gradients(model, rows: 0..<2, generators: generators)
        let (second, secondLoss) = try Self.gradients(model, rows: 2..<4, generators: generators)
        #expect(abs(firstLoss + secondLoss - wholeLoss) <= 1e-5 * abs(wholeLoss))

        // Dropout is really on: without it the loss differs.
        model.setTraining(false)
        let plain = try model.supervisedLoss(prompts: Self.prompts, targets: Self.targets).item
        #expect(abs(plain - wholeLoss) > 1e-4 * abs(wholeLoss), "dropout changes the loss")

        let parameters = model.trainableParameters()
        try #require(!parameters.isEmpty)
        for (path, parameter) in parameters {
            let expected = try #require(whole[parameter.tensor], "\(path) has a gradient").values
            let a = try #require(first[parameter.tensor]).values
            let b = try #require(second[parameter.tensor]).values
            try #require(a.count == b.count)
            let summed = zip(a, b).map { $0 + $1 }
            let scale = expected.map(abs).max() ?? 0
            let difference = TestSupport.closeness(summed, expected, rtol: 1e-5, atol: 1e-6 * scale)
            #expect(difference == nil, "\(family) \(path): \(difference ?? "")")
        }
    }

    /// The same rows in another shard, padded to another length, get the same mask: the masked
    /// values of a row depend on its global index and its real positions only.
    @Test func aRowsMaskFollowsItsGlobalIndexAndStartNotItsShard() throws {
        let width = 6
        // Row 1 of a 3-row batch padded to 5 (starting at 2) against row 0 of a 1-row shard of length 3.
        let values = (0..<(3 * 5 * width)).map { Float($0 % 17) + 1 }
        let whole = Tensor(values, shape: [3, 5, width])
        let masked = DropoutRows.withStarts([0, 2, 1]) { whole.dropout(probability: 0.5, seed: 9) }.values
        let rowValues = Array(values[(5 * width + 2 * width)..<(2 * 5 * width)])
        let shard = Tensor(rowValues, shape: [1, 3, width])
        let alone = DropoutRows.withGlobalRows([1]) {
            DropoutRows.withStarts([0]) { shard.dropout(probability: 0.5, seed: 9) }
        }.values
        let expected = Array(masked[(5 * width + 2 * width)..<(2 * 5 * width)])
        try #require(!expected.isEmpty)
        #expect(alone == expected)
        #expect(expected.contains(0) && expected.contains { $0 != 0 }, "the mask keeps some values and drops some")
        // Another global index gives another mask.
        let other = DropoutRows.withGlobalRows([2]) {
            DropoutRows.withStarts([0]) { shard.dropout(probability: 0.5, seed: 9) }
        }.values
        #expect(other != expected)
    }
}
