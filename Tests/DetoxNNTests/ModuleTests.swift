import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

@Suite struct ModuleTests {
    final class Block: Module {
        let attention: Linear
        let norm: RMSNorm
        init(generator: inout SeededGenerator) {
            attention = Linear(4, 4, bias: false, generator: &generator)
            norm = RMSNorm(dimension: 4)
        }
        var namedChildren: [(name: String, module: any Module)] {
            [("SelfAttention", attention), ("layer_norm", norm)]
        }
    }

    final class Stack: Module {
        let embedding: Embedding
        let blocks: ModuleList<Block>
        let dropout = Dropout(probability: 0.5, seed: 3)
        init() {
            var generator = SeededGenerator(seed: 0)
            embedding = Embedding(count: 10, dimension: 4, generator: &generator)
            blocks = ModuleList((0..<2).map { _ in Block(generator: &generator) })
        }
        var namedChildren: [(name: String, module: any Module)] {
            [("shared", embedding), ("block", blocks), ("dropout", dropout)]
        }
    }

    @Test func parameterNamesFollowCheckpointPaths() {
        let names = Stack().parameters().map(\.name)
        #expect(
            names == [
                "shared.weight",
                "block.0.SelfAttention.weight", "block.0.layer_norm.weight",
                "block.1.SelfAttention.weight", "block.1.layer_norm.weight",
            ])
    }

    @Test func strictLoadingReportsEveryProblemAndAssignsNothing() {
        let model = Stack()
        var state = model.stateDict()
        let before = state["shared.weight"]!.values
        state["shared.weight"] = Tensor.zeros([10, 4])
        state.removeValue(forKey: "block.1.layer_norm.weight")
        state["block.0.SelfAttention.weight"] = Tensor.zeros([4, 5])
        state["lm_head.weight"] = Tensor.zeros([1])
        #expect(
            throws: NNError.stateMismatch(
                missing: ["block.1.layer_norm.weight"], unexpected: ["lm_head.weight"],
                shapeMismatches: [
                    ShapeMismatch(key: "block.0.SelfAttention.weight", expected: [4, 4], actual: [4, 5])
                ])
        ) { try model.load(state) }
        #expect(model.embedding.weight.tensor.values == before)
    }

    @Test func freezingControlsGradients() throws {
        let model = Stack()
        model.blocks[0].setTrainable(false)
        #expect(model.trainableParameters().count == 3)
        let x = try model.embedding([1, 2], shape: [2])
        let y = model.blocks[1].norm(model.blocks[1].attention(model.blocks[0].attention(x))).sum()
        let grads = try y.backward()
        #expect(grads[model.blocks[0].attention.weight.tensor] == nil)
        #expect(grads[model.blocks[1].attention.weight.tensor] != nil)
        #expect(grads[model.embedding.weight.tensor]?.shape == [10, 4])
    }

    @Test func embeddingRejectsOutOfRangeIDs() {
        #expect(throws: NNError.indexOutOfRange(what: "token id", index: 10, bound: 10)) {
            try Stack().embedding([3, 10], shape: [2])
        }
    }

    @Test func dropoutOnlyActsInTraining() {
        let model = Stack()
        let x = Tensor.ones([1000])
        #expect(model.dropout(x).values == x.values)
        model.setTraining(true)
        let y = model.dropout(x).values
        let kept = y.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 2 })
        #expect(kept.count > 420 && kept.count < 580)
        model.setTraining(false)
        #expect(model.dropout(x).values == x.values)
    }

    @Test func crossEntropyIgnoresPaddingAndChecksTargets() throws {
        let logits = Tensor([0, 0, 0, 10, 0, 0], shape: [2, 3])
        let loss = try Losses.crossEntropy(logits, targets: [1, -100])
        #expect(Swift.abs(loss.item - Float(3).squareRoot() * 0 - 1.0986123) < 1e-6)
        #expect(throws: NNError.indexOutOfRange(what: "target class", index: 3, bound: 3)) {
            try Losses.crossEntropy(logits, targets: [3, 0])
        }
        #expect(try Losses.crossEntropy(logits, targets: [-100, -100]).item.isNaN)
        let problem = TestSupport.gradientCheck([Tensor([0.5, -1, 2, 0.1, 0.3, -0.2], shape: [2, 3])]) {
            (try? Losses.crossEntropy($0[0], targets: [2, 0])) ?? Tensor(scalar: .nan)
        }
        #expect(problem == nil, "\(problem ?? "")")
    }

    /// A two-layer MLP learns XOR-like quadrant labels: full-batch gradient descent for 1500 steps
    /// must bring the cross-entropy below 0.05 (it starts near ln 2 ≈ 0.69).
    @Test func mlpLearnsNonlinearTask() throws {
        var generator = SeededGenerator(seed: 11)
        let first = Linear(2, 16, generator: &generator)
        let second = Linear(16, 2, generator: &generator)
        var inputs: [Float] = []
        var labels: [Int] = []
        for _ in 0..<64 {
            let a = generator.nextUniform() * 2 - 1
            let b = generator.nextUniform() * 2 - 1
            inputs += [a, b]
            labels.append((a > 0) == (b > 0) ? 1 : 0)
        }
        let x = Tensor(inputs, shape: [64, 2])
        let parameters = (first.parameters() + second.parameters()).map(\.parameter)
        var loss = Float.infinity
        for _ in 0..<1500 {
            let output = try Losses.crossEntropy(second(first(x).tanh()), targets: labels)
            loss = output.item
            let grads = try output.backward()
            Tensor.withNoGrad {
                for p in parameters { p.assign(p.tensor - grads[p.tensor]! * 0.5) }
            }
        }
        #expect(loss < 0.05)
    }
}

@Suite struct FusedNormalizationTests {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape, generator: &generator)
    }

    /// The fused kernels against the same formula written with primitive ops, forward and gradients.
    @Test func fusedNormsMatchCompositeFormulas() throws {
        let x = Self.random([3, 2, 8], seed: 1)
        let w = Self.random([8], seed: 2)
        let b = Self.random([8], seed: 3)
        let compositeRMS = x * ((x * x).mean(axis: -1, keepDims: true) + 1e-6).rsqrt() * w
        #expect(
            TestSupport.closeness(
                Normalization.rms(x, weight: w, epsilon: 1e-6).values, compositeRMS.values, rtol: 1e-5, atol: 1e-6)
                == nil)
        let centered = x - x.mean(axis: -1, keepDims: true)
        let compositeLayer = centered * ((centered * centered).mean(axis: -1, keepDims: true) + 1e-5).rsqrt() * w + b
        #expect(
            TestSupport.closeness(
                Normalization.layer(x, weight: w, bias: b, epsilon: 1e-5).values, compositeLayer.values, rtol: 1e-5,
                atol: 1e-6) == nil)

        let rmsProblem = TestSupport.gradientCheck([x, w]) { Normalization.rms($0[0], weight: $0[1], epsilon: 1e-6) }
        #expect(rmsProblem == nil, "\(rmsProblem ?? "")")
        let layerProblem = TestSupport.gradientCheck([x, w, b]) {
            Normalization.layer($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5)
        }
        #expect(layerProblem == nil, "\(layerProblem ?? "")")
    }
}

/// The row- and column-parallel paths of the fused layer norm and cross-entropy (2048 rows of 40:
/// enough elements to split across cores) against composite formulas and f64 sums.
@Suite struct ParallelRowKernelTests {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape, generator: &generator)
    }

    @Test func layerNormMatchesCompositeFormula() throws {
        let x = Self.random([2048, 40], seed: 1).requiringGrad()
        let w = Self.random([40], seed: 2).requiringGrad()
        let b = Self.random([40], seed: 3).requiringGrad()
        let weights = Self.random([2048, 40], seed: 4)
        let fused = Normalization.layer(x, weight: w, bias: b, epsilon: 1e-5)
        let centered = x - x.mean(axis: -1, keepDims: true)
        let composite = centered * ((centered * centered).mean(axis: -1, keepDims: true) + 1e-5).rsqrt() * w + b
        #expect(TestSupport.closeness(fused.values, composite.values, rtol: 1e-5, atol: 1e-5) == nil)
        let fusedGrads = try (fused * weights).sum().backward()
        let compositeGrads = try (composite * weights).sum().backward()
        for (name, leaf) in [("x", x), ("weight", w), ("bias", b)] {
            let actual = try #require(fusedGrads[leaf])
            let expected = try #require(compositeGrads[leaf])
            let problem = TestSupport.closeness(actual.values, expected.values, rtol: 1e-4, atol: 1e-4)
            #expect(problem == nil, "\(name): \(problem ?? "")")
        }
    }

    @Test func crossEntropyMatchesDoubleSums() throws {
        let width = 40
        let logits = (Self.random([2048, width], seed: 5) * 3).requiringGrad()
        let targets = (0..<2048).map { $0 % 7 == 3 ? Losses.ignoreIndex : ($0 * 13) % width }
        let loss = try Losses.crossEntropy(logits, targets: targets)
        let gradient = try #require(try loss.backward()[logits])
        let values = logits.values
        let counted = targets.filter { $0 != Losses.ignoreIndex }.count
        try #require(counted > 0)
        var total: Double = 0
        var expected = [Float](repeating: 0, count: values.count)
        for (row, target) in targets.enumerated() where target != Losses.ignoreIndex {
            let slice = values[row * width..<(row + 1) * width].map(Double.init)
            let top = slice.max() ?? 0
            let sum = slice.reduce(0) { $0 + Foundation.exp($1 - top) }
            total += top + Foundation.log(sum) - slice[target]
            for j in 0..<width {
                let p = Foundation.exp(slice[j] - top) / sum
                expected[row * width + j] = Float((p - (j == target ? 1 : 0)) / Double(counted))
            }
        }
        #expect(Swift.abs(Double(loss.item) - total / Double(counted)) < 1e-5)
        #expect(TestSupport.closeness(gradient.values, expected, rtol: 1e-4, atol: 1e-8) == nil)
    }
}

@Suite struct ModuleFileTests {
    final class Tiny: Module {
        let first: Linear
        let norm = LayerNorm(dimension: 3)
        init(seed: UInt64) {
            var generator = SeededGenerator(seed: seed)
            first = Linear(4, 3, generator: &generator)
        }
        var namedChildren: [(name: String, module: any Module)] { [("first", first), ("norm", norm)] }
    }

    @Test func saveAndLoadSafetensorsRoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let url = folder.file("tiny.safetensors")
        let a = Tiny(seed: 1)
        let b = Tiny(seed: 2)
        try a.save(safetensors: url)
        #expect(b.first.weight.tensor.values != a.first.weight.tensor.values)
        try b.load(safetensors: url)
        for ((nameA, pa), (nameB, pb)) in zip(a.parameters(), b.parameters()) {
            #expect(nameA == nameB)
            #expect(pa.tensor.values == pb.tensor.values)
        }
    }
}
