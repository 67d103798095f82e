import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Foundation
import Testing

// MARK: - Save, restore, resume

@Suite("Optimizer state save and restore")
struct OptimizerStateTests {
    static let fixtures = [
        "adamw_custom", "adamw_amsgrad", "adam_weight_decay", "sgd_nesterov", "sgd_dampening",
        "adamw_linear_warmup_clip",
    ]

    /// Copies of the parameters' current values, as fresh parameters (what a checkpoint restores).
    static func copies(_ parameters: [(name: String, parameter: Parameter)]) -> [(name: String, parameter: Parameter)] {
        parameters.map { ($0.name, Parameter(Tensor($0.parameter.tensor.values, shape: $0.parameter.shape))) }
    }

    /// An optimizer of the same kind with different hyperparameters, so that restoring must
    /// bring back the saved ones.
    static func differentlyConfigured(_ kind: String, _ parameters: [(name: String, parameter: Parameter)]) throws
        -> any Optimizer
    {
        switch kind {
        case "adamw":
            return try Adam(parameters: parameters, learningRate: 0.5, weightDecay: 0, decoupledWeightDecay: true)
        case "adam": return try Adam(parameters: parameters, learningRate: 0.5)
        default: return try SGD(parameters: parameters, learningRate: 0.5)
        }
    }

    @Test("Resuming from saved state is bit-identical to an uninterrupted run", arguments: fixtures)
    func resumeIsBitIdentical(_ name: String) throws {
        let fixture = try loadFixture(TrajectoryFixture.self, name)
        let split = 4

        // Uninterrupted.
        let straightParameters = try fixture.makeParameters()
        let straight = try fixture.makeOptimizer(straightParameters)
        try runAndCompare(fixture, optimizer: straight, steps: 0..<fixture.steps.count)

        // Interrupted after `split` steps; once through full JSON, once through tensors + metadata JSON.
        let firstParameters = try fixture.makeParameters()
        let first = try fixture.makeOptimizer(firstParameters)
        try runAndCompare(fixture, optimizer: first, steps: 0..<split)
        let saved = first.state()
        #expect(saved.metadata.stepCount == split)

        let viaJSON = try OptimizerState(jsonData: saved.jsonData())
        #expect(viaJSON == saved)
        let viaParts = try OptimizerState(metadataJSON: saved.metadataJSON(), tensors: saved.tensors)
        #expect(viaParts == saved)

        for restoredState in [viaJSON, viaParts] {
            let resumedParameters = Self.copies(firstParameters)
            let resumed = try Self.differentlyConfigured(fixture.optimizer, resumedParameters)
            try resumed.restore(restoredState)
            #expect(resumed.stepCount == split)
            #expect(resumed.state() == saved)
            try runAndCompare(fixture, optimizer: resumed, steps: split..<fixture.steps.count)
            for ((_, a), (_, b)) in zip(straightParameters, resumedParameters) {
                #expect(bitwiseEqual(a.tensor.values, b.tensor.values))
            }
            #expect(resumed.state() == straight.state())
        }
    }

    @Test("Saved state names buffers after PyTorch's state keys")
    func layout() throws {
        let fixture = try loadFixture(TrajectoryFixture.self, "adamw_amsgrad")
        let parameters = try fixture.makeParameters()
        let optimizer = try fixture.makeOptimizer(parameters)
        #expect(optimizer.state().tensors.isEmpty)
        #expect(optimizer.state().metadata.parameters.isEmpty)
        try runAndCompare(fixture, optimizer: optimizer, steps: 0..<2)
        let state = optimizer.state()
        #expect(
            Set(state.tensors.keys)
                == [
                    "weight.exp_avg", "weight.exp_avg_sq", "weight.max_exp_avg_sq",
                    "bias.exp_avg", "bias.exp_avg_sq", "bias.max_exp_avg_sq",
                ])
        #expect(state.tensors["weight.exp_avg"]?.shape == [4, 3])
        #expect(state.metadata.kind == "adamw")
        #expect(state.metadata.hyperparameters["amsgrad"] == 1)
        #expect(state.metadata.hyperparameters["lr"] == 5e-3)
        #expect(
            state.metadata.parameters == [
                ParameterStateRecord(
                    name: "weight", shape: [4, 3], step: 2, buffers: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
                ParameterStateRecord(
                    name: "bias", shape: [3], step: 2, buffers: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
            ])
        // The exported tensors are copies: stepping again does not change them.
        let snapshot = state.tensors["weight.exp_avg"]?.values ?? []
        try runAndCompare(fixture, optimizer: optimizer, steps: 2..<3)
        #expect(bitwiseEqual(state.tensors["weight.exp_avg"]?.values ?? [], snapshot))
    }

    @Test("JSON round trip is exact for any float, including non-finite ones")
    func exactJSON() throws {
        var generator = SeededGenerator(seed: 7)
        var values: [Float] = (0..<20_000).map { _ in
            Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
        }.filter { !$0.isNaN }
        values += [.infinity, -.infinity, .nan, 0, -0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1]
        let parameter = Parameter(Tensor.zeros([values.count]))
        let metadata = OptimizerStateMetadata(
            kind: "sgd", stepCount: 1, learningRate: 0.1,
            hyperparameters: ["lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": 0],
            parameters: [ParameterStateRecord(name: "p", shape: [values.count], step: 1, buffers: ["momentum_buffer"])])
        let state = OptimizerState(
            metadata: metadata, tensors: ["p.momentum_buffer": Tensor(values, shape: [values.count])])
        let decoded = try OptimizerState(jsonData: state.jsonData())
        #expect(decoded == state)
        let optimizer = try SGD(parameters: [("p", parameter)], momentum: 0.9)
        try optimizer.restore(decoded)
        #expect(optimizer.state() == state)
    }
}
