import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Testing

// MARK: - Errors

@Suite("Optimizer errors")
struct OptimizerErrorTests {
    /// An AdamW over a [2, 3] weight and a [3] bias, stepped once.
    static func stepped() throws -> (Adam, OptimizerState) {
        let weight = Parameter(Tensor.full([2, 3], 0.5))
        let bias = Parameter(Tensor.zeros([3]))
        let optimizer = try Adam(parameters: [("weight", weight), ("bias", bias)], decoupledWeightDecay: true)
        var grads = GradStore()
        grads.set(Tensor.full([2, 3], 0.1), for: weight.tensor)
        grads.set(Tensor([1, -1, 2]), for: bias.tensor)
        try optimizer.step(grads: grads)
        return (optimizer, optimizer.state())
    }

    /// Restoring `state` must throw `expected` and leave the optimizer as it was.
    static func expectRestoreFails(_ state: OptimizerState, _ expected: OptimizerError) throws {
        let (optimizer, before) = try Self.stepped()
        #expect(throws: expected) { try optimizer.restore(state) }
        #expect(optimizer.state() == before)
    }

    @Test("Restoring a mismatched state names the problem")
    func restoreMismatches() throws {
        let (_, good) = try Self.stepped()

        var wrongShape = good
        wrongShape.tensors["bias.exp_avg_sq"] = Tensor.zeros([4])
        try Self.expectRestoreFails(
            wrongShape, .shapeMismatch(parameter: "bias", buffer: "exp_avg_sq", expected: [3], actual: [4]))

        var wrongRecordShape = good
        wrongRecordShape.metadata.parameters[0].shape = [3, 2]
        try Self.expectRestoreFails(
            wrongRecordShape, .shapeMismatch(parameter: "weight", buffer: nil, expected: [2, 3], actual: [3, 2]))

        var unknown = good
        unknown.metadata.parameters[1].name = "head.bias"
        try Self.expectRestoreFails(unknown, .unknownParameter(name: "head.bias"))

        var missing = good
        missing.tensors["weight.exp_avg"] = nil
        try Self.expectRestoreFails(
            missing, .missingBuffer(parameter: "weight", buffer: "exp_avg", key: "weight.exp_avg"))

        var extra = good
        extra.tensors["weight.momentum_buffer"] = Tensor.zeros([2, 3])
        try Self.expectRestoreFails(extra, .unexpectedTensor(key: "weight.momentum_buffer"))

        var kind = good
        kind.metadata.kind = "sgd"
        try Self.expectRestoreFails(kind, .kindMismatch(expected: "adamw", actual: "sgd"))

        var noBeta = good
        noBeta.metadata.hyperparameters["beta2"] = nil
        try Self.expectRestoreFails(noBeta, .missingHyperparameter("beta2"))

        var amsgrad = good
        amsgrad.metadata.hyperparameters["amsgrad"] = 1
        try Self.expectRestoreFails(
            amsgrad,
            .bufferMismatch(
                parameter: "weight", expected: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
                actual: ["exp_avg", "exp_avg_sq"]))

        var negativeStep = good
        negativeStep.metadata.parameters[0].step = -1
        try Self.expectRestoreFails(negativeStep, .invalidStepCount(parameter: "weight", value: -1))

        var version = good
        version.metadata.formatVersion = 99
        try Self.expectRestoreFails(version, .unsupportedFormatVersion(99))

        // The message names the parameter and both shapes.
        let message = OptimizerError.shapeMismatch(parameter: "bias", buffer: "exp_avg", expected: [3], actual: [4])
            .description
        #expect(message.contains("bias") && message.contains("[3]") && message.contains("[4]"))
    }

    @Test("A state restores into an optimizer that has not stepped")
    func restoreIntoFresh() throws {
        let (_, good) = try Self.stepped()
        let fresh = try Adam(
            parameters: [("weight", Parameter(Tensor.zeros([2, 3]))), ("bias", Parameter(Tensor.zeros([3])))],
            decoupledWeightDecay: true)
        try fresh.restore(good)
        #expect(fresh.state() == good)
        // A state that covers only some parameters leaves the others fresh.
        var partial = good
        partial.metadata.parameters.removeLast()
        partial.tensors["bias.exp_avg"] = nil
        partial.tensors["bias.exp_avg_sq"] = nil
        try fresh.restore(partial)
        #expect(fresh.state() == partial)
    }

    @Test("A gradient of the wrong shape is rejected before anything changes")
    func gradientShape() throws {
        let (optimizer, before) = try Self.stepped()
        let parameters = optimizer.parameters
        let weightBefore = parameters[0].parameter.tensor.values
        var grads = GradStore()
        grads.set(Tensor.full([2, 3], 0.1), for: parameters[0].parameter.tensor)
        grads.set(Tensor.zeros([4]), for: parameters[1].parameter.tensor)
        #expect(throws: OptimizerError.gradientShapeMismatch(parameter: "bias", expected: [3], actual: [4])) {
            try optimizer.step(grads: grads)
        }
        #expect(optimizer.state() == before)
        #expect(bitwiseEqual(parameters[0].parameter.tensor.values, weightBefore))
    }

    @Test("Bad construction arguments throw")
    func construction() throws {
        let p = Parameter(Tensor.zeros([2]))
        #expect(throws: OptimizerError.duplicateParameter(name: "a")) {
            try Adam(parameters: [("a", p), ("a", Parameter(Tensor.zeros([2])))], decoupledWeightDecay: true)
        }
        #expect(throws: OptimizerError.duplicateParameter(name: "b")) { try SGD(parameters: [("a", p), ("b", p)]) }
        #expect(throws: OptimizerError.self) {
            try Adam(parameters: [("a", p)], betas: (1.0, 0.999), decoupledWeightDecay: true)
        }
        #expect(throws: OptimizerError.self) { try Adam(parameters: [("a", p)], learningRate: -1) }
        #expect(throws: OptimizerError.self) { try SGD(parameters: [("a", p)], momentum: 0, nesterov: true) }
        #expect(throws: OptimizerError.self) {
            try SGD(parameters: [("a", p)], momentum: 0.9, dampening: 0.1, nesterov: true)
        }
    }
}

// MARK: - Modules

/// A module with a trainable and a frozen parameter.
final class TinyModule: Module {
    let weight = Parameter(Tensor([1, 2]))
    let frozen = Parameter(Tensor([3, 4]), trainable: false)
    var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("frozen", frozen)] }
}

@Suite("Optimizers over modules")
struct ModuleOptimizerTests {
    @Test("Only trainable parameters are held; parameters without a gradient are skipped")
    func trainableOnly() throws {
        let module = TinyModule()
        let optimizer = try SGD(module: module, learningRate: 0.5)
        #expect(optimizer.parameterNames == ["weight"])
        var grads = GradStore()
        grads.set(Tensor([1, 1]), for: module.weight.tensor)
        try optimizer.step(grads: grads)
        #expect(module.weight.tensor.values == [0.5, 1.5])
        #expect(module.weight.tensor.requiresGrad)
        #expect(module.frozen.tensor.values == [3, 4])
        // No gradient at all: nothing moves, but the step is counted for schedules.
        try optimizer.step(grads: GradStore())
        #expect(module.weight.tensor.values == [0.5, 1.5])
        #expect(optimizer.stepCount == 2)
        #expect(optimizer.state().metadata.parameters.map(\.step) == [1])
    }
}
