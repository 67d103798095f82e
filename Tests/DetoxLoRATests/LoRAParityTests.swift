// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxCheckpoints
import DetoxLoRA
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// The network of `Scripts/fixtures/make_lora_fixtures.py`: two residual blocks whose linear
/// layers are named like T5's attention projections.
final class Block: SlottedModule {
    var q: any LinearLayer
    var k: any LinearLayer
    var v: any LinearLayer
    var o: any LinearLayer

    static let q = ModuleSlot.linear("q", \Block.q)
    static let k = ModuleSlot.linear("k", \Block.k)
    static let v = ModuleSlot.linear("v", \Block.v)
    static let o = ModuleSlot.linear("o", \Block.o)
    static let slots = [q, k, v, o]

    init(width: Int, inner: Int, generator: inout SeededGenerator) {
        q = Linear(width, inner, bias: false, generator: &generator)
        k = Linear(width, inner, bias: false, generator: &generator)
        v = Linear(width, inner, bias: true, generator: &generator)
        o = Linear(inner, width, bias: false, generator: &generator)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { o(q(x).tanh() * v(x) + k(x)) }
}

final class Net: Module {
    let block: ModuleList<Block>

    init(seed: UInt64 = 1) {
        var generator = SeededGenerator(seed: seed)
        block = ModuleList((0..<2).map { _ in Block(width: 6, inner: 8, generator: &generator) })
    }

    var namedChildren: [(name: String, module: any Module)] { [("block", block)] }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for b in block.modules { h = h + b(h) }
        return h
    }
}

enum Fixtures {
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    }

    static func reference() throws -> SafeTensorsFile { try SafeTensorsFile(url: url("reference.safetensors")) }

    static func baseNet() throws -> Net {
        let net = Net()
        try net.load(safetensors: url("base.safetensors"))
        return net
    }

    static func loss(_ y: Tensor) -> Tensor {
        let n = y.count
        let weights = Tensor.build(shape: y.shape) { p, n in
            for i in 0..<n { p[i] = n == 1 ? -1 : -1 + 2 * Float(i) / Float(n - 1) }
        }
        _ = n
        return (y * y * weights).sum()
    }
}

/// Parity with peft 0.13.2 (fixtures from `Scripts/fixtures/make_lora_fixtures.py`).
/// Tolerances: outputs 1e-5 absolute + relative; gradients 1e-4 relative with 1e-6 absolute.
@Suite struct LoRAParityTests {
    @Test func peftAdapterGivesPeftOutputsAndGradients() throws {
        let reference = try Fixtures.reference()
        let net = try Fixtures.baseNet()
        let configuration = try LoRA.load(from: Fixtures.url("peft_adapter"), into: net)
        #expect(configuration.rank == 4 && configuration.alpha == 8)
        #expect(LoRA.adapters(in: net).map(\.path) == ["block.0.q", "block.0.v", "block.1.q", "block.1.v"])

        let x = try reference.tensor("x")
        let y = net(x)
        let expected = try reference.tensor("output").values
        #expect(TestSupport.closeness(y.values, expected, rtol: 1e-5, atol: 1e-5) == nil)

        let grads = try Fixtures.loss(y).backward()
        #expect(
            TestSupport.closeness([Fixtures.loss(y).item], try reference.tensor("loss").values, rtol: 1e-5, atol: 1e-5)
                == nil)
        try #require(!LoRA.adapters(in: net).isEmpty, "the model has no LoRA layers")
        for (path, layer) in LoRA.adapters(in: net) {
            for (name, parameter) in [("lora_A", layer.loraA.weight), ("lora_B", layer.loraB.weight)] {
                let key = "grad.base_model.model.\(path).\(name).weight"
                let gradient = try #require(grads[parameter.tensor], "no gradient for \(key)")
                let problem = TestSupport.closeness(
                    gradient.values, try reference.tensor(key).values, rtol: 1e-4, atol: 1e-6)
                #expect(problem == nil, "\(key): \(problem ?? "")")
            }
        }
        // Only the adapters train.
        #expect(net.trainableParameters().map(\.name).allSatisfy { $0.contains("lora_") })
        #expect(net.trainableParameters().count == 8)
    }

    @Test func disabledAdapterIsTheBaseAndMergedEqualsUnmerged() throws {
        let reference = try Fixtures.reference()
        let net = try Fixtures.baseNet()
        try LoRA.load(from: Fixtures.url("peft_adapter"), into: net)
        let x = try reference.tensor("x")
        let disabled = LoRA.withAdaptersDisabled(net) { Tensor.withNoGrad { net(x) } }
        #expect(
            TestSupport.closeness(
                disabled.values, try reference.tensor("output_disabled").values, rtol: 1e-5, atol: 1e-5) == nil)
        #expect(LoRA.adapters(in: net).allSatisfy { $0.layer.isEnabled })

        let unmerged = Tensor.withNoGrad { net(x) }
        try LoRA.mergeAndUnload(net)
        #expect(LoRA.adapters(in: net).isEmpty)
        let merged = Tensor.withNoGrad { net(x) }
        #expect(TestSupport.closeness(merged.values, unmerged.values, rtol: 1e-5, atol: 1e-5) == nil)
        #expect(
            TestSupport.closeness(merged.values, try reference.tensor("output_merged").values, rtol: 1e-5, atol: 1e-5)
                == nil)
    }

    @Test func freshAdapterChangesNothing() throws {
        let net = try Fixtures.baseNet()
        let x = try Fixtures.reference().tensor("x")
        let before = Tensor.withNoGrad { net(x) }.values
        var generator = SeededGenerator(seed: 3)
        try LoRA.apply(
            LoRAConfiguration(rank: 2, alpha: 4, targets: .pattern("block\\.1\\.[qo]")), to: net, generator: &generator)
        #expect(LoRA.adapters(in: net).map(\.path) == ["block.1.q", "block.1.o"])
        #expect(Tensor.withNoGrad { net(x) }.values == before)
        #expect(throws: LoRAError.noTargetModules(targets: ["nothing"], available: ["q", "k", "v", "o"])) {
            try LoRA.apply(LoRAConfiguration(targets: .names(["nothing"])), to: Net(), generator: &generator)
        }
        #expect(throws: LoRAError.invalidSetting(name: "rank", reason: "expected a positive integer, found 0")) {
            try LoRA.apply(LoRAConfiguration(rank: 0), to: Net(), generator: &generator)
        }
        #expect(throws: LoRAError.invalidSetting(name: "dropout", reason: "expected a value in [0, 1), found 1.0")) {
            try LoRA.apply(LoRAConfiguration(dropout: 1), to: Net(), generator: &generator)
        }
    }
}

/// Swift → PEFT: an adapter written here loads in PEFT with the same outputs. The Swift test writes
/// the adapter deterministically and compares it with the committed `swift_adapter/`; the fixture
/// script loads that folder in PEFT and records its outputs in `swift_adapter_check.json`.
/// Set `DETOX_REGENERATE_FIXTURES=1` to rewrite the committed folder, then rerun the script.
@Suite struct LoRAWriteTests {
    static func swiftAdapterNet() throws -> (Net, LoRAConfiguration) {
        let net = try Fixtures.baseNet()
        let configuration = LoRAConfiguration(rank: 3, alpha: 6, targets: .names(["q", "o"]), taskType: nil)
        var generator = SeededGenerator(seed: 21)
        try LoRA.apply(configuration, to: net, generator: &generator)
        for (_, layer) in LoRA.adapters(in: net) {
            layer.loraB.weight.assign(Tensor.randomNormal(layer.loraB.weight.shape, std: 0.5, generator: &generator))
        }
        return (net, configuration)
    }

    @Test func writtenAdapterMatchesCommittedFilesAndPeftOutputs() throws {
        let (net, configuration) = try Self.swiftAdapterNet()
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        try LoRA.save(net, configuration: configuration, to: folder)

        if ProcessInfo.processInfo.environment["DETOX_REGENERATE_FIXTURES"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "Fixtures/swift_adapter")
            try? FileManager.default.removeItem(at: source)
            try FileManager.default.copyItem(at: folder, to: source)
        }
        for name in [LoRA.configFileName, LoRA.weightsFileName] {
            let written = try Data(contentsOf: folder.appendingPathComponent(name))
            let committed = try Data(contentsOf: Fixtures.url("swift_adapter").appendingPathComponent(name))
            #expect(written == committed, "\(name) differs from the committed swift_adapter")
        }

        // Reading it back here gives the same network.
        let reloaded = try Fixtures.baseNet()
        try LoRA.load(from: folder, into: reloaded)
        let x = try Fixtures.reference().tensor("x")
        let ours = Tensor.withNoGrad { net(x) }.values
        #expect(Tensor.withNoGrad { reloaded(x) }.values == ours)

        // PEFT read the committed copy and computed these outputs.
        struct Check: Decodable {
            let peft_loaded: Bool
            let output: [Float]
        }
        let check = try JSONDecoder().decode(
            Check.self, from: Data(contentsOf: Fixtures.url("swift_adapter_check.json")))
        #expect(check.peft_loaded)
        #expect(TestSupport.closeness(ours, check.output, rtol: 1e-5, atol: 1e-5) == nil)
    }

    @Test func badAdapterFilesAreTypedErrors() throws {
        let (net, configuration) = try Self.swiftAdapterNet()
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        try LoRA.save(net, configuration: configuration, to: folder)
        let weights = folder.appendingPathComponent(LoRA.weightsFileName)

        var tensors = LoRA.adapterTensors(of: net)
        let key = "base_model.model.block.0.q.lora_A.weight"
        tensors.removeValue(forKey: key)
        try SafeTensors.write(tensors, to: weights)
        #expect(throws: LoRAError.missingTensor(file: weights.path, key: key)) {
            try LoRA.load(from: folder, into: try Fixtures.baseNet())
        }

        tensors = LoRA.adapterTensors(of: net)
        tensors[key] = Tensor.zeros([3, 5])
        try SafeTensors.write(tensors, to: weights)
        #expect(throws: LoRAError.shapeMismatch(file: weights.path, key: key, expected: [3, 6], actual: [3, 5])) {
            try LoRA.load(from: folder, into: try Fixtures.baseNet())
        }

        tensors = LoRA.adapterTensors(of: net)
        tensors["base_model.model.block.0.k.lora_A.weight"] = Tensor.zeros([3, 6])
        try SafeTensors.write(tensors, to: weights)
        #expect(
            throws: LoRAError.unexpectedTensors(file: weights.path, keys: ["base_model.model.block.0.k.lora_A.weight"])
        ) {
            try LoRA.load(from: folder, into: try Fixtures.baseNet())
        }

        let config = folder.appendingPathComponent(LoRA.configFileName)
        try Data(#"{"peft_type": "LORA", "r": "eight"}"#.utf8).write(to: config)
        #expect(throws: LoRAError.invalidConfiguration(file: config.path, key: "r", reason: "expected a number")) {
            try LoRA.load(from: folder, into: try Fixtures.baseNet())
        }
    }

    /// A PEFT feature Detox does not implement is refused, naming its key; the same keys left at
    /// PEFT's defaults (as PEFT writes every file) load.
    @Test func unimplementedPeftFeaturesAreRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let config = folder.file(LoRA.configFileName)
        for (key, value) in [
            ("use_dora", "true"), ("rank_pattern", #"{"q": 4}"#), ("alpha_pattern", #"{"q": 4}"#),
            ("modules_to_save", #"["classifier"]"#), ("layers_to_transform", "0"), ("layer_replication", "[[0, 1]]"),
        ] {
            try Data(#"{"peft_type": "LORA", "r": 2, "\#(key)": \#(value)}"#.utf8).write(to: config)
            do {
                _ = try LoRAConfiguration(contentsOf: config)
                Issue.record("\(key): \(value) was accepted")
            } catch LoRAError.invalidConfiguration(let file, let badKey, _) {
                #expect(file == config.path && badKey == key)
            }
        }
        let defaults = #"""
            {"peft_type": "LORA", "r": 2, "use_dora": false, "rank_pattern": {}, "alpha_pattern": {},
             "modules_to_save": null, "layers_to_transform": null, "layers_pattern": null, "layer_replication": null,
             "megatron_config": null}
            """#
        try Data(defaults.utf8).write(to: config)
        #expect(try LoRAConfiguration(contentsOf: config).rank == 2)
    }
}
