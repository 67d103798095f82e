// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py and
// models/gpt_neo/modeling_gpt_neo.py (v4.46.3): the attention call of `GPT2Block` and `GPTNeoBlock`
import DetoxNN
import DetoxTensor

/// A GPT-2-style family's self-attention as ``GPTBlock`` calls it: ``GPT2Attention`` (fused `c_attn`)
/// or ``GPTNeoAttention`` (separate projections, global or local layers).
public protocol GPTAttentionLayer: Module {
    /// The family configuration the layer is built from.
    associatedtype Configuration
    /// Layer `layerIndex` (its cache slot) from `weights`, scoped to the block's `attn`.
    init(configuration: Configuration, layerIndex: Int, weights: WeightBuilder) throws
    var headCount: Int { get }
    /// The number of positions a query sees (itself included) in a local layer; `nil` for a
    /// global one.
    var window: Int? { get }
    /// What a left-padding query attends to under this family's transformers attention.
    static var maskedQueries: CausalInputs.MaskedQueryRows { get }
    /// Attention of `hidden` `[B, L, d]` over itself with the additive `bias` `[B, H, L, L]` (this
    /// layer's window); writes the keys and values into `cache` when given. `hidden` may be packed
    /// (`[N, d]`, the real tokens of `tokens`): the projections run packed, the attention on the
    /// `[B, L, …]` layout, and the result is packed as `hidden`.
    func callAsFunction(_ hidden: Tensor, bias: Tensor, cache: CausalCache?, tokens: RealTokens) -> Tensor
    /// One new position for each batch row in `rows`: `hidden` `[A, d]` attends over the cache
    /// (this position included) under the additive step `mask` `[B, length + 1]`.
    func step(_ hidden: Tensor, rows: [Int], cache: CausalCache, mask: [Float]) -> Tensor
}
