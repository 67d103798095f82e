// Port of transformers src/transformers/modeling_rope_utils.py (v4.46.3), the `rope_scaling` dictionary
import DetoxNN

/// A config's `rope_scaling`: how the rotary frequencies are rescaled for longer contexts.
///
/// `rope_type` (or the older key `type`) names the method; Detox implements `default`, `linear` and
/// `llama3`, and ``rotaryScaling(file:)`` rejects any other with a typed error naming
/// `rope_scaling`.
public struct LlamaRopeScaling: Codable, Sendable, Equatable {
    /// `rope_type`, falling back to `type` as `LlamaConfig` does.
    public var ropeType: String?
    public var factor: Double?
    public var lowFrequencyFactor: Double?
    public var highFrequencyFactor: Double?
    public var originalMaxPositionEmbeddings: Int?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type"
        case legacyType = "type"
        case factor
        case lowFrequencyFactor = "low_freq_factor"
        case highFrequencyFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    public init(
        ropeType: String?, factor: Double? = nil, lowFrequencyFactor: Double? = nil,
        highFrequencyFactor: Double? = nil, originalMaxPositionEmbeddings: Int? = nil
    ) {
        self.ropeType = ropeType
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ropeType =
            try c.decodeIfPresent(String.self, forKey: .legacyType)
            ?? c.decodeIfPresent(String.self, forKey: .ropeType)
        factor = try c.decodeIfPresent(Double.self, forKey: .factor)
        lowFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .lowFrequencyFactor)
        highFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .highFrequencyFactor)
        originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(ropeType, forKey: .ropeType)
        try c.encodeIfPresent(factor, forKey: .factor)
        try c.encodeIfPresent(lowFrequencyFactor, forKey: .lowFrequencyFactor)
        try c.encodeIfPresent(highFrequencyFactor, forKey: .highFrequencyFactor)
        try c.encodeIfPresent(originalMaxPositionEmbeddings, forKey: .originalMaxPositionEmbeddings)
    }

    /// The rotary scaling this dictionary asks for (`nil` for `default`).
    /// - Throws: ``ModelError/invalidConfiguration(file:key:reason:)`` naming `rope_scaling` for an
    ///   unsupported type or a missing or non-positive parameter.
    public func rotaryScaling(file: String) throws -> Rotary.Scaling? {
        func fail(_ reason: String) -> ModelError {
            .invalidConfiguration(file: file, key: "rope_scaling", reason: reason)
        }
        func positive(_ value: Double?, _ name: String) throws -> Float {
            guard let value, value > 0, value.isFinite else {
                throw fail("\(ropeType ?? "?") needs a positive \(name)")
            }
            return Float(value)
        }
        switch ropeType {
        case "default": return nil
        case "linear": return .linear(factor: try positive(factor, "factor"))
        case "llama3":
            let low = try positive(lowFrequencyFactor, "low_freq_factor")
            let high = try positive(highFrequencyFactor, "high_freq_factor")
            guard high > low else { throw fail("high_freq_factor must exceed low_freq_factor") }
            guard let original = originalMaxPositionEmbeddings, original > 0 else {
                throw fail("llama3 needs a positive original_max_position_embeddings")
            }
            return .llama3(
                factor: try positive(factor, "factor"), lowFrequencyFactor: low, highFrequencyFactor: high,
                originalMaxPositions: original)
        default:
            throw fail(
                "rope type \"\(ropeType ?? "(none)")\" is not supported (supported: default, linear, llama3)")
        }
    }
}
