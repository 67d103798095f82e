import DetoxTensor
import Foundation

// MARK: - State

/// A snapshot of an optimizer: step counts, learning rate, hyperparameters and moment buffers.
///
/// The snapshot has two halves so that a checkpoint writer can store it next to model weights:
/// ``tensors`` (moment buffers keyed `"<parameter name>.<buffer>"`, e.g.
/// `"encoder.block.0.layer.0.SelfAttention.q.weight.exp_avg"`, ready for a safetensors file) and
/// ``metadata`` (small and `Codable`, see ``metadataJSON()``). The whole snapshot is also `Codable`
/// on its own (``jsonData()``), with tensors written as shape and values.
///
/// Restoring a snapshot into an optimizer over the same parameters and continuing gives results
/// bit-identical to a run that was never interrupted.
public struct OptimizerState: Sendable {
    /// Everything except the moment buffers.
    public var metadata: OptimizerStateMetadata
    /// Moment buffers by ``tensorKey(parameter:buffer:)``.
    public var tensors: [String: Tensor]

    public init(metadata: OptimizerStateMetadata, tensors: [String: Tensor]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    /// The key of one buffer of one parameter in ``tensors``: `"<parameter>.<buffer>"`.
    public static func tensorKey(parameter: String, buffer: String) -> String { "\(parameter).\(buffer)" }

    // MARK: - JSON

    /// The metadata as JSON (sorted keys), for storing next to ``tensors``.
    public func metadataJSON() throws -> Data { try OptimizerState.encoder().encode(metadata) }

    /// Reassembles a snapshot from ``metadataJSON()`` and the tensors stored beside it.
    public init(metadataJSON: Data, tensors: [String: Tensor]) throws {
        self.metadata = try OptimizerState.decoder().decode(OptimizerStateMetadata.self, from: metadataJSON)
        self.tensors = tensors
    }

    /// The whole snapshot, tensors included, as one JSON document.
    ///
    /// Floats are written as the shortest decimal that reads back to the same value, so the
    /// round trip is exact; non-finite values are written as the strings `"inf"`, `"-inf"`, `"nan"`.
    public func jsonData() throws -> Data { try OptimizerState.encoder().encode(self) }

    /// Reads a snapshot written by ``jsonData()``.
    public init(jsonData: Data) throws {
        self = try OptimizerState.decoder().decode(OptimizerState.self, from: jsonData)
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

// MARK: - Metadata

/// The small, `Codable` half of an ``OptimizerState``.
public struct OptimizerStateMetadata: Codable, Sendable, Equatable {
    /// The format version this code writes.
    public static let currentFormatVersion = 1

    /// Format version of the snapshot.
    public var formatVersion: Int
    /// Which optimizer wrote it: `"adamw"`, `"adam"` or `"sgd"`.
    public var kind: String
    /// Number of `step(grads:)` calls so far (what learning-rate schedules count).
    public var stepCount: Int
    /// The learning rate in effect (after any schedule).
    public var learningRate: Double
    /// Hyperparameters under PyTorch's names (`lr` is the base rate; booleans are 0 or 1).
    public var hyperparameters: [String: Double]
    /// One record per parameter that has optimizer state, in the optimizer's parameter order.
    public var parameters: [ParameterStateRecord]

    public init(
        formatVersion: Int = OptimizerStateMetadata.currentFormatVersion, kind: String, stepCount: Int,
        learningRate: Double, hyperparameters: [String: Double], parameters: [ParameterStateRecord]
    ) {
        self.formatVersion = formatVersion
        self.kind = kind
        self.stepCount = stepCount
        self.learningRate = learningRate
        self.hyperparameters = hyperparameters
        self.parameters = parameters
    }
}

/// The saved state of one parameter, without its tensors.
public struct ParameterStateRecord: Codable, Sendable, Equatable {
    /// The parameter's name (its checkpoint path).
    public var name: String
    /// The parameter's shape, which every buffer shares.
    public var shape: [Int]
    /// Updates applied to this parameter (PyTorch's per-parameter `state["step"]`).
    public var step: Int
    /// Names of the buffers stored for it in ``OptimizerState/tensors``.
    public var buffers: [String]

    public init(name: String, shape: [Int], step: Int, buffers: [String]) {
        self.name = name
        self.shape = shape
        self.step = step
        self.buffers = buffers
    }
}

// MARK: - Codable

extension OptimizerState: Codable {
    private enum CodingKeys: String, CodingKey { case metadata, tensors }

    private struct StoredTensor: Codable {
        var shape: [Int]
        var values: [Float]
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decode(OptimizerStateMetadata.self, forKey: .metadata)
        let stored = try container.decode([String: StoredTensor].self, forKey: .tensors)
        var tensors: [String: Tensor] = [:]
        for (key, value) in stored {
            tensors[key] = try Tensor(shape: value.shape, values: value.values)
        }
        self.tensors = tensors
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(
            tensors.mapValues { StoredTensor(shape: $0.shape, values: $0.values) }, forKey: .tensors)
    }
}

// MARK: - Equality

extension OptimizerState: Equatable {
    /// Equal when the metadata match and every tensor has the same shape and the same bits.
    public static func == (lhs: OptimizerState, rhs: OptimizerState) -> Bool {
        guard lhs.metadata == rhs.metadata, lhs.tensors.count == rhs.tensors.count else { return false }
        for (key, a) in lhs.tensors {
            guard let b = rhs.tensors[key], a.shape == b.shape else { return false }
            let same = a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in zip(pa, pb).allSatisfy { $0.bitPattern == $1.bitPattern } }
            }
            guard same else { return false }
        }
        return true
    }
}
