// MARK: - SGD hyperparameters

/// The hyperparameters of ``SGD`` (PyTorch's `lr`, `momentum`, `dampening`, `weight_decay`,
/// `nesterov`).
public struct SGDHyperparameters: Codable, Sendable, Equatable {
    /// The base learning rate (before any schedule).
    public var learningRate: Double
    /// Momentum factor; 0 keeps no momentum buffer.
    public var momentum: Double
    /// Dampening of the gradient added to the momentum buffer (not applied on the first step).
    public var dampening: Double
    /// L2 weight decay added to the gradient.
    public var weightDecay: Double
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    public var nesterov: Bool

    public init(learningRate: Double, momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// The same checks as `torch.optim.SGD.__init__`.
    func validate() throws {
        guard learningRate >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "lr", value: learningRate, reason: "must be >= 0")
        }
        guard momentum >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "momentum", value: momentum, reason: "must be >= 0")
        }
        guard weightDecay >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "weight_decay", value: weightDecay, reason: "must be >= 0")
        }
        if nesterov && (momentum <= 0 || dampening != 0) {
            throw OptimizerError.invalidHyperparameter(
                name: "nesterov", value: 1, reason: "Nesterov momentum requires a momentum and zero dampening")
        }
    }

    // MARK: - Saved form

    var dictionary: [String: Double] {
        [
            "lr": learningRate, "momentum": momentum, "dampening": dampening, "weight_decay": weightDecay,
            "nesterov": nesterov ? 1 : 0,
        ]
    }

    init(dictionary: [String: Double]) throws {
        self.init(
            learningRate: try dictionary.required("lr"), momentum: try dictionary.required("momentum"),
            dampening: try dictionary.required("dampening"), weightDecay: try dictionary.required("weight_decay"),
            nesterov: try dictionary.requiredFlag("nesterov"))
        try validate()
    }

    /// Buffers kept per parameter, under PyTorch's state names.
    var bufferNames: [String] { momentum != 0 ? ["momentum_buffer"] : [] }
}
