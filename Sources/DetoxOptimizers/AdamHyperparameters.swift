// MARK: - Adam hyperparameters

/// The hyperparameters of ``Adam``, with or without decoupled decay (PyTorch's `lr`, `betas`, `eps`,
/// `weight_decay`, `amsgrad`).
public struct AdamHyperparameters: Codable, Sendable, Equatable {
    /// The base learning rate (before any schedule).
    public var learningRate: Double
    /// Decay rate of the first moment (gradient mean).
    public var beta1: Double
    /// Decay rate of the second moment (squared gradient mean).
    public var beta2: Double
    /// Added to the denominator for numerical stability.
    public var epsilon: Double
    /// Weight decay: decoupled with ``Adam/decoupledWeightDecay`` (AdamW), else an L2 term added to
    /// the gradient (Adam).
    public var weightDecay: Double
    /// Use the maximum of past second moments (AMSGrad).
    public var amsgrad: Bool

    public init(
        learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double,
        amsgrad: Bool = false
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
    }

    /// The same checks as `torch.optim.Adam.__init__`.
    func validate() throws {
        guard learningRate >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "lr", value: learningRate, reason: "must be >= 0")
        }
        guard epsilon >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "eps", value: epsilon, reason: "must be >= 0")
        }
        guard beta1 >= 0, beta1 < 1 else {
            throw OptimizerError.invalidHyperparameter(name: "beta1", value: beta1, reason: "must be in [0, 1)")
        }
        guard beta2 >= 0, beta2 < 1 else {
            throw OptimizerError.invalidHyperparameter(name: "beta2", value: beta2, reason: "must be in [0, 1)")
        }
        guard weightDecay >= 0 else {
            throw OptimizerError.invalidHyperparameter(name: "weight_decay", value: weightDecay, reason: "must be >= 0")
        }
    }

    // MARK: - Saved form

    /// Under PyTorch's names, for ``OptimizerStateMetadata/hyperparameters``.
    var dictionary: [String: Double] {
        [
            "lr": learningRate, "beta1": beta1, "beta2": beta2, "eps": epsilon,
            "weight_decay": weightDecay, "amsgrad": amsgrad ? 1 : 0,
        ]
    }

    init(dictionary: [String: Double]) throws {
        self.init(
            learningRate: try dictionary.required("lr"), beta1: try dictionary.required("beta1"),
            beta2: try dictionary.required("beta2"), epsilon: try dictionary.required("eps"),
            weightDecay: try dictionary.required("weight_decay"), amsgrad: try dictionary.requiredFlag("amsgrad"))
        try validate()
    }

    /// Buffers kept per parameter, under PyTorch's state names.
    var bufferNames: [String] { amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"] }
}
