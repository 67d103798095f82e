// Port of transformers src/transformers/models/bert/modeling_bert.py `BertSelfAttention` (v4.46.3)
import DetoxNN
import DetoxTensor
import Foundation

/// Multi-head scaled dot-product self-attention with absolute positions (no relative terms):
/// `softmax(q·kᵀ / √head_dim + mask) · v`, heads concatenated.
public final class BertSelfAttention: SlottedModule {
    /// Projections, held as `any LinearLayer` so LoRA or 4-bit layers can be swapped in.
    public var query: any LinearLayer
    public var key: any LinearLayer
    public var value: any LinearLayer
    public let dropout: Dropout
    public let heads: Int
    public let headSize: Int

    static let query = ModuleSlot.linear("query", \BertSelfAttention.query)
    static let key = ModuleSlot.linear("key", \BertSelfAttention.key)
    static let value = ModuleSlot.linear("value", \BertSelfAttention.value)
    static let dropout = ModuleSlot.child("dropout", \BertSelfAttention.dropout)
    public static let slots = [query, key, value, dropout]

    init(configuration: BertConfiguration, weights: WeightBuilder) throws {
        let hidden = configuration.hiddenSize
        let std = configuration.initializerRange
        query = try weights.linear(Self.query, inFeatures: hidden, outFeatures: hidden, bias: true, std: std)
        key = try weights.linear(Self.key, inFeatures: hidden, outFeatures: hidden, bias: true, std: std)
        value = try weights.linear(Self.value, inFeatures: hidden, outFeatures: hidden, bias: true, std: std)
        dropout = weights.dropout(configuration.attentionDropout)
        heads = configuration.attentionHeads
        headSize = configuration.headSize
    }

    /// - Parameters:
    ///   - x: `[batch, length, hidden]`.
    ///   - mask: additive mask `[batch, 1, 1, length]` (0 to attend, `finfo(float32).min` to skip), or `nil`.
    /// - Returns: `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        let batch = x.shape[0]
        let length = x.shape[1]
        // The 1/√d scaling on the queries (exact for power-of-two head sizes), the mask as the bias.
        let bias = mask?.broadcasted(to: [batch, heads, length, length]) ?? Tensor.zeros([1, heads, length, length])
        return Attention.multiHead(
            query: query(x) * (1 / Float(headSize).squareRoot()), key: key(x), value: value(x), bias: bias,
            headCount: heads, dropout: dropout.maskSeed())
    }
}
