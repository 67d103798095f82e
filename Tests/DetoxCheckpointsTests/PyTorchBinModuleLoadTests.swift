// Needs `NN` among the dependencies of the `CheckpointsTests` target (see the report that added
// this file): it checks the `.bin` loader end to end through `Module.load`.
import DetoxCheckpoints
import DetoxNN
import DetoxTensor
import Foundation
import Testing

// MARK: - Loading a .bin into NN modules

/// The tiny model of `make_bin_fixtures.py` (without its f16/bf16 layers and buffers), with
/// PyTorch's parameter names.
private final class TinyModel: Module {
    let embed: Embedding
    let proj: Linear
    let norm: LayerNorm
    let head: Linear

    init(projOut: Int = 6) {
        embed = Embedding(weight: Tensor.zeros([10, 4]))
        proj = Linear(weight: Tensor.zeros([projOut, 4]), bias: Tensor.zeros([projOut]))
        norm = LayerNorm(dimension: 6)
        head = Linear(weight: Tensor.zeros([10, 4]))
    }

    var namedChildren: [(name: String, module: any Module)] {
        [("embed", embed), ("proj", proj), ("norm", norm), ("head", head)]
    }
}

@Suite("PyTorch .bin weights loaded into NN modules")
struct PyTorchBinModuleLoadTests {
    /// The weights of `tiny_model.bin` that `TinyModel` has.
    static func weights() throws -> [String: Tensor] {
        try ModelWeights.loadFile(url: try pytorchFixture("tiny_model.bin")).filter {
            !$0.key.contains("half") && !$0.key.contains("bf_") && $0.key != "scale"
        }
    }

    @Test("a .bin loads into a module of matching shapes, tied head included")
    func loads() throws {
        let model = TinyModel()
        try model.load(try Self.weights())
        let expected = try expectedTensors(of: "tiny_model.bin")
        #expect(model.embed.weight.tensor.values.map(\.bitPattern) == expected["embed.weight"]?.f32Bits)
        #expect(model.head.weight.tensor.values == model.embed.weight.tensor.values)
        #expect(model.norm.bias.tensor.values.map(\.bitPattern) == expected["norm.bias"]?.f32Bits)
    }

    @Test("a wrong-shaped parameter gives NNError.stateMismatch naming the key and both shapes")
    func wrongShape() throws {
        let model = TinyModel(projOut: 5)
        let before = model.embed.weight.tensor.values
        do {
            try model.load(try Self.weights())
            Issue.record("loading into a wrong-shaped module succeeded")
        } catch let error as NNError {
            #expect(
                error
                    == .stateMismatch(
                        missing: [], unexpected: [],
                        shapeMismatches: [
                            ShapeMismatch(key: "proj.weight", expected: [5, 4], actual: [6, 4]),
                            ShapeMismatch(key: "proj.bias", expected: [5], actual: [6]),
                        ]))
            #expect(error.description.contains("proj.weight: expected [5, 4], found [6, 4]"))
        }
        // Nothing was assigned.
        #expect(model.embed.weight.tensor.values == before)
    }
}
