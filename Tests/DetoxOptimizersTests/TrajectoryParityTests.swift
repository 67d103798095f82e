import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Testing

// MARK: - Parity with torch.optim

/// Every fixture is 10 steps recorded from PyTorch 2.13 (`Scripts/fixtures/make_optimizer_fixtures.py`);
/// each parameter is compared after every step to `Tolerance` (1e-6 absolute + 1e-6 relative).
@Suite("Optimizer trajectories match torch.optim")
struct TrajectoryParityTests {
    static let fixtures = [
        "adamw_default", "adamw_custom", "adamw_amsgrad", "adam_weight_decay", "sgd_nesterov", "sgd_dampening",
        "adamw_linear_warmup_clip",
    ]

    @Test("10-step trajectory", arguments: fixtures)
    func trajectory(_ name: String) throws {
        let fixture = try loadFixture(TrajectoryFixture.self, name)
        let parameters = try fixture.makeParameters()
        let optimizer = try fixture.makeOptimizer(parameters)
        #expect(optimizer.kind == fixture.optimizer)
        let worst = try runAndCompare(fixture, optimizer: optimizer, steps: 0..<fixture.steps.count)
        #expect(worst <= Tolerance.absolute * 4)
        #expect(optimizer.stepCount == fixture.steps.count)
    }

    @Test("Adam's defaults are PyTorch's, with AdamW's weight decay when decay is decoupled")
    func adamWDefaults() throws {
        let optimizer = try Adam(parameters: [("w", Parameter(Tensor.zeros([2])))], decoupledWeightDecay: true)
        #expect(
            optimizer.hyperparameters
                == AdamHyperparameters(
                    learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2, amsgrad: false))
        #expect(optimizer.learningRate == 1e-3)
        let adam = try Adam(parameters: [("w", Parameter(Tensor.zeros([2])))])
        #expect(adam.hyperparameters.weightDecay == 0)
        #expect(optimizer.kind == "adamw" && adam.kind == "adam")
    }

    @Test("Per-parameter step counts follow the gradients a parameter received")
    func perParameterSteps() throws {
        // In adamw_custom, "bias" has no gradient at steps 0 and 3 and "weight" none at step 4.
        let fixture = try loadFixture(TrajectoryFixture.self, "adamw_custom")
        let parameters = try fixture.makeParameters()
        let optimizer = try fixture.makeOptimizer(parameters)
        try runAndCompare(fixture, optimizer: optimizer, steps: 0..<fixture.steps.count)
        let records = optimizer.state().metadata.parameters
        #expect(records.map(\.name) == ["weight", "bias"])
        #expect(records.map(\.step) == [9, 8])
        #expect(optimizer.state().metadata.stepCount == 10)
    }
}
