import DetoxTensor

/// Supplies every weight of a model while it is built: from checkpoint tensors by key, or from a
/// seeded initializer — one code path for loading and for random initialisation, as candle's
/// `VarBuilder`.
///
/// A builder is scoped by prefix: `weights.scoped("encoder").scoped(Self.q)` reads
/// `encoder.q.weight`. Scopes share one state (the generator, the dropout counter, the keys
/// consumed), so weights are drawn in build order whatever the scope. A loaded model never
/// allocates throw-away weights: each tensor comes straight from the checkpoint.
public final class WeightBuilder {
    /// The dotted prefix of this scope (`""` at the root).
    public let prefix: String
    private let state: State

    /// Where weights come from, shared by every scope of one builder.
    private enum Source {
        /// Freshly drawn from the generator (advanced by each draw).
        case initializer(SeededGenerator)
        /// Read by full key from checkpoint tensors.
        case checkpoint([String: Tensor])
    }

    private final class State {
        var source: Source
        let sourceName: String
        let aliases: [String: [String]]
        let dropoutSeeds: DropoutSeeds
        var dropoutCount: UInt64 = 0
        var usedKeys: Set<String> = []

        init(source: Source, sourceName: String, aliases: [String: [String]], dropoutSeeds: DropoutSeeds) {
            self.source = source
            self.sourceName = sourceName
            self.aliases = aliases
            self.dropoutSeeds = dropoutSeeds
        }
    }

    private init(prefix: String, state: State) {
        self.prefix = prefix
        self.state = state
    }

    /// A builder that initialises every weight from `generator` (see ``WeightInitialization``).
    public convenience init(generator: SeededGenerator, dropoutSeeds: DropoutSeeds) {
        self.init(
            prefix: "",
            state: State(source: .initializer(generator), sourceName: "", aliases: [:], dropoutSeeds: dropoutSeeds))
    }

    /// A builder that reads every weight from `tensors` by full key.
    ///
    /// - Parameters:
    ///   - source: names the checkpoint in errors (a file path).
    ///   - aliases: keys that stand in for a missing key (T5's `shared.weight` is also stored as
    ///     `encoder.embed_tokens.weight`), tried in order.
    public convenience init(
        checkpoint tensors: [String: Tensor], source: String, aliases: [String: [String]] = [:],
        dropoutSeeds: DropoutSeeds
    ) {
        self.init(
            prefix: "",
            state: State(source: .checkpoint(tensors), sourceName: source, aliases: aliases, dropoutSeeds: dropoutSeeds)
        )
    }

    // MARK: - Scopes

    /// The builder for the child `name` (`"encoder"`, `"block.0"`).
    public func scoped(_ name: String) -> WeightBuilder {
        WeightBuilder(prefix: key(name), state: state)
    }

    /// The builder for the child `slot` declares.
    public func scoped<Owner>(_ slot: ModuleSlot<Owner>) -> WeightBuilder { scoped(slot.name) }

    /// The full key of `name` in this scope.
    public func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    // MARK: - State

    /// Whether weights are drawn from the initializer rather than read from a checkpoint.
    public var isInitializing: Bool { generator != nil }

    /// The initializer's generator after every draw so far (`nil` when reading a checkpoint), to
    /// hand back to a caller that passed its generator in.
    public var generator: SeededGenerator? {
        if case .initializer(let generator) = state.source { return generator }
        return nil
    }

    private var checkpoint: [String: Tensor]? {
        if case .checkpoint(let tensors) = state.source { return tensors }
        return nil
    }

    /// Whether the checkpoint holds `name` in this scope (always `false` when initialising).
    public func contains(_ name: String) -> Bool { checkpoint?[key(name)] != nil }

    /// Checkpoint keys no weight has consumed so far, sorted (empty when initialising).
    public func unusedKeys() -> [String] {
        guard let checkpoint else { return [] }
        return checkpoint.keys.filter { !state.usedKeys.contains($0) }.sorted()
    }

    // MARK: - Weights

    /// The tensor `name` in this scope with `shape`: from the checkpoint (or one of its aliases),
    /// or made as `initialization` says.
    ///
    /// - Throws: ``NNError/missingTensor(source:key:)`` or
    ///   ``NNError/tensorShapeMismatch(source:key:expected:actual:)`` naming the checkpoint and key.
    public func tensor(_ name: String, shape: [Int], initialization: WeightInitialization) throws -> Tensor {
        let key = key(name)
        switch state.source {
        case .initializer(var generator):
            switch initialization {
            case .constant(let value):
                return Tensor.full(shape, value)
            case .normal(let std):
                defer { state.source = .initializer(generator) }
                return Tensor.randomNormal(shape, std: std, generator: &generator)
            }
        case .checkpoint(let tensors):
            for candidate in [key] + (state.aliases[key] ?? []) {
                guard let value = tensors[candidate] else { continue }
                guard value.shape == shape else {
                    throw NNError.tensorShapeMismatch(
                        source: state.sourceName, key: candidate, expected: shape, actual: value.shape)
                }
                state.usedKeys.insert(candidate)
                return value
            }
            throw NNError.missingTensor(source: state.sourceName, key: key)
        }
    }

    /// A `Linear` in `slot`: weight `[out, in]` ~ `N(0, std²)`, bias (if any) zero.
    public func linear<Owner>(_ slot: ModuleSlot<Owner>, inFeatures: Int, outFeatures: Int, bias: Bool, std: Float)
        throws -> Linear
    {
        let scope = scoped(slot)
        let weight = try scope.tensor("weight", shape: [outFeatures, inFeatures], initialization: .normal(std: std))
        let bias = bias ? try scope.tensor("bias", shape: [outFeatures], initialization: .zeros) : nil
        return Linear(weight: weight, bias: bias)
    }

    /// An `Embedding` `[count, dimension]` in `slot`, ~ `N(0, std²)`; when initialising, the
    /// `paddingIndex` row is zero, as `nn.Embedding(padding_idx=)` and `_init_weights` leave it.
    public func embedding<Owner>(
        _ slot: ModuleSlot<Owner>, count: Int, dimension: Int, std: Float, paddingIndex: Int? = nil
    ) throws -> Embedding {
        var table = try scoped(slot).tensor("weight", shape: [count, dimension], initialization: .normal(std: std))
        if isInitializing, let paddingIndex, paddingIndex >= 0, paddingIndex < count {
            var values = table.values
            for j in 0..<dimension { values[paddingIndex * dimension + j] = 0 }
            table = Tensor(values, shape: [count, dimension])
        }
        return Embedding(weight: table)
    }

    /// A `LayerNorm` in `slot`: weight one, bias zero.
    public func layerNorm<Owner>(_ slot: ModuleSlot<Owner>, dimension: Int, epsilon: Float) throws -> LayerNorm {
        let scope = scoped(slot)
        return LayerNorm(
            weight: try scope.tensor("weight", shape: [dimension], initialization: .ones),
            bias: try scope.tensor("bias", shape: [dimension], initialization: .zeros), epsilon: epsilon)
    }

    /// An `RMSNorm` in `slot` whose weight starts at `initialWeight`.
    public func rmsNorm<Owner>(_ slot: ModuleSlot<Owner>, dimension: Int, epsilon: Float, initialWeight: Float = 1)
        throws -> RMSNorm
    {
        RMSNorm(
            weight: try scoped(slot).tensor("weight", shape: [dimension], initialization: .constant(initialWeight)),
            epsilon: epsilon)
    }

    /// A dropout with the next seed of the model's ``DropoutSeeds``.
    public func dropout(_ probability: Float) -> Dropout {
        defer { state.dropoutCount += 1 }
        return Dropout(probability: probability, seed: state.dropoutSeeds.seed(at: state.dropoutCount))
    }
}
