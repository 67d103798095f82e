// Port of transformers src/transformers/models/gpt_neo/modeling_gpt_neo.py (v4.46.3), `GPTNeoAttention`;
// `GPTNeoMLP` and `GPTNeoBlock` are GPT-2's layers (``GPTMLP``, ``GPTBlock``)
import DetoxNN
import DetoxTensor

/// `GPTNeoAttention`: the self-attention under the checkpoint name `attention`.
public final class GPTNeoAttention: SlottedModule, GPTAttentionLayer {
    public let attention: GPTNeoSelfAttention
    static let attention = ModuleSlot.child("attention", \GPTNeoAttention.attention)
    public static let slots = [attention]

    public typealias Configuration = GPTNeoConfiguration

    /// A pad query attends only to the keys its causal (and window) mask allows, as GPT-Neo's
    /// eager attention.
    public static let maskedQueries = CausalInputs.MaskedQueryRows.causalKeys

    public init(configuration c: GPTNeoConfiguration, layerIndex: Int, weights: WeightBuilder) throws {
        attention = try GPTNeoSelfAttention(
            configuration: c, layerIndex: layerIndex, weights: weights.scoped(Self.attention))
    }

    public var headCount: Int { attention.headCount }
    public var window: Int? { attention.window }

    public func callAsFunction(_ hidden: Tensor, bias: Tensor, cache: CausalCache?, tokens: RealTokens) -> Tensor {
        attention(hidden, bias: bias, cache: cache, tokens: tokens)
    }

    public func step(_ hidden: Tensor, rows: [Int], cache: CausalCache, mask: [Float]) -> Tensor {
        attention.step(hidden, rows: rows, cache: cache, mask: mask)
    }
}

/// GPT-Neo's feed-forward, GPT-2's with `nn.Linear` projections.
public typealias GPTNeoMLP = GPTMLP

/// A GPT-Neo layer (global or local attention).
public typealias GPTNeoBlock = GPTBlock<GPTNeoConfiguration>
