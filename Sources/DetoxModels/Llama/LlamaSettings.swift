// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3): the settings the
// Llama layers read, shared by the Llama and Qwen2 configurations.
import DetoxNN

/// What the Llama layers need to know, whichever family's `config.json` it came from: Llama
/// (``LlamaConfiguration``) and Qwen2 (``Qwen2Configuration``) differ only in their defaults and
/// in which projections carry a bias, so both map onto these settings and share one set of layers.
public struct LlamaSettings: Sendable, Equatable {
    /// The `model_type` the settings came from (`"llama"`, `"qwen2"`).
    public var modelType: String
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// Key/value heads (grouped-query attention when fewer than ``headCount``).
    public var keyValueHeadCount: Int
    public var headDimension: Int
    public var rmsNormEpsilon: Float
    /// The rotary embedding of every layer's queries and keys.
    public var rotary: Rotary
    /// Whether `q_proj`, `k_proj` and `v_proj` have a bias.
    public var queryKeyValueBias: Bool
    /// Whether `o_proj` has a bias.
    public var outputBias: Bool
    /// Whether `gate_proj`, `up_proj` and `down_proj` have a bias.
    public var mlpBias: Bool
    public var attentionDropout: Float
    /// The standard deviation of every initialised linear and embedding weight.
    public var initializerRange: Float
    /// Whether `lm_head` is `model.embed_tokens`.
    public var tieWordEmbeddings: Bool
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var padTokenID: Int?
    /// TRL's value-head dropout (`summary_dropout_prob`), when the config carries one.
    public var summaryDropoutProbability: Float?

    /// Width of the query projection, `H·D`.
    public var queryWidth: Int { headCount * headDimension }
    /// Width of the key and value projections, `Hkv·D`.
    public var keyValueWidth: Int { keyValueHeadCount * headDimension }
}
