/// PPO settings with the names and defaults of trl's legacy `PPOConfig` (v0.11.4).
public struct PPOConfiguration: Sendable, Codable, Equatable {
    /// Adam learning rate (`learning_rate`).
    public var learningRate = 1.41e-5
    /// Samples per PPO step (`batch_size`).
    public var batchSize = 128
    /// Samples per forward/backward pass (`mini_batch_size`).
    public var miniBatchSize = 128
    /// Minibatches per optimizer step (`gradient_accumulation_steps`).
    public var gradientAccumulationSteps = 1
    /// Passes over each batch (`ppo_epochs`).
    public var ppoEpochs = 4
    /// Discount (`gamma`) and GAE parameter (`lam`).
    public var gamma = 1.0
    public var lam = 0.95
    /// Policy and value clipping ranges (`cliprange`, `cliprange_value`).
    public var cliprange = 0.2
    public var cliprangeValue = 0.2
    /// Weight of the value loss (`vf_coef`).
    public var vfCoef = 0.1
    /// KL estimator (`kl_penalty`: kl, abs, mse, full).
    public var klPenalty: KLPenalty = .kl
    /// Initial KL coefficient, and the adaptive controller's target and horizon.
    public var initKLCoef = 0.2
    public var adaptiveKLControl = true
    public var target = 6.0
    public var horizon = 10000.0
    /// Whiten the per-token rewards before GAE (`whiten_rewards`).
    public var whitenRewards = false
    /// Clip scores to ±this (`score_clip`).
    public var scoreClip: Double?
    /// Divide scores by their running standard deviation (`use_score_scaling`), and also subtract
    /// their running mean (`use_score_norm`, only with scaling).
    public var useScoreScaling = false
    public var useScoreNorm = false
    /// Skip a minibatch whose mean probability ratio exceeds this (`ratio_threshold`).
    public var ratioThreshold = 10.0
    /// Stop an epoch loop when the policy KL exceeds 1.5 × `targetKL` (`early_stopping`, `target_kl`).
    public var earlyStopping = false
    public var targetKL = 1.0
    /// Global gradient-norm clip (`max_grad_norm`).
    public var maxGradNorm: Double?
    /// Seed of the minibatch shuffles (and, in the trainer, of sampling).
    public var seed: UInt64 = 0

    public init() {}

    /// TRL's defaults with other batch sizes (the course lab runs 16 prompts a step in mini-batches of 4).
    public init(batchSize: Int, miniBatchSize: Int) {
        self.batchSize = batchSize
        self.miniBatchSize = miniBatchSize
    }

    /// `mini_batch_size × gradient_accumulation_steps`.
    public var backwardBatchSize: Int { miniBatchSize * gradientAccumulationSteps }

    /// The checks of `PPOConfig.__post_init__` and a few more.
    public func validate() throws {
        func positive(_ name: String, _ value: Int) throws {
            guard value > 0 else {
                throw TrainingError.invalidSetting(name: name, reason: "must be positive, got \(value)")
            }
        }
        try positive("batch_size", batchSize)
        try positive("mini_batch_size", miniBatchSize)
        try positive("gradient_accumulation_steps", gradientAccumulationSteps)
        try positive("ppo_epochs", ppoEpochs)
        guard batchSize % backwardBatchSize == 0 else {
            throw TrainingError.invalidSetting(
                name: "batch_size",
                reason:
                    "\(batchSize) is not a multiple of mini_batch_size × gradient_accumulation_steps = \(backwardBatchSize)"
            )
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw TrainingError.invalidSetting(
                name: "learning_rate", reason: "must be a positive number, got \(learningRate)")
        }
        // TRL does not check it; a negative or non-finite coefficient rewards drifting from the
        // reference or makes every reward NaN.
        guard initKLCoef >= 0, initKLCoef.isFinite else {
            throw TrainingError.invalidSetting(
                name: "init_kl_coef", reason: "must be a non-negative number, got \(initKLCoef)")
        }
        guard (0...1).contains(lam), gamma >= 0, gamma <= 1 else {
            throw TrainingError.invalidSetting(name: "gamma/lam", reason: "must lie in [0, 1]")
        }
        guard cliprange > 0, cliprangeValue > 0 else {
            throw TrainingError.invalidSetting(name: "cliprange", reason: "must be positive")
        }
        if adaptiveKLControl {
            guard target > 0, horizon > 0 else {
                throw TrainingError.invalidSetting(name: "target/horizon", reason: "must be positive")
            }
        }
    }
}

/// TRL's `RunningMoments`: the running mean and standard deviation of scores across steps
/// (Chan et al.'s parallel update), used by `use_score_scaling`.
public struct RunningMoments: Sendable, Codable, Equatable {
    public private(set) var mean = 0.0
    public private(set) var std = 1.0
    public private(set) var variance = 1.0
    public private(set) var count = 1e-24

    public init() {}

    init(mean: Double, std: Double, variance: Double, count: Double) {
        self.mean = mean
        self.std = std
        self.variance = variance
        self.count = count
    }

    /// Adds a batch; returns the batch's mean and (unbiased) standard deviation.
    @discardableResult
    public mutating func update(_ xs: [Double]) -> (mean: Double, std: Double) {
        let n = Double(xs.count)
        let batchMean = xs.reduce(0, +) / n
        let batchVariance = xs.reduce(0) { $0 + ($1 - batchMean) * ($1 - batchMean) } / n
        let delta = batchMean - mean
        let total = count + n
        let newSum = batchVariance * n + variance * count + delta * delta * count * n / total
        mean += delta * n / total
        variance = newSum / total
        std = (variance * total / (total - 1)).squareRoot()
        count = total
        return (batchMean, (batchVariance * n / Swift.max(n - 1, 1)).squareRoot())
    }
}
