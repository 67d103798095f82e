// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3), `LlamaMLP`
import DetoxNN
import DetoxTensor

/// The SwiGLU feed-forward: `down_proj(silu(gate_proj(x)) · up_proj(x))`.
public final class LlamaMLP: SlottedModule {
    public var gateProjection: any LinearLayer
    public var upProjection: any LinearLayer
    public var downProjection: any LinearLayer

    static let gate = ModuleSlot.linear("gate_proj", \LlamaMLP.gateProjection)
    static let up = ModuleSlot.linear("up_proj", \LlamaMLP.upProjection)
    static let down = ModuleSlot.linear("down_proj", \LlamaMLP.downProjection)
    public static let slots = [gate, up, down]

    init(settings s: LlamaSettings, weights: WeightBuilder) throws {
        let std = s.initializerRange
        gateProjection = try weights.linear(
            Self.gate, inFeatures: s.hiddenSize, outFeatures: s.intermediateSize, bias: s.mlpBias, std: std)
        upProjection = try weights.linear(
            Self.up, inFeatures: s.hiddenSize, outFeatures: s.intermediateSize, bias: s.mlpBias, std: std)
        downProjection = try weights.linear(
            Self.down, inFeatures: s.intermediateSize, outFeatures: s.hiddenSize, bias: s.mlpBias, std: std)
    }

    /// `[..., hidden]` → `[..., hidden]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let gate = gateProjection(x)
        return downProjection(gate * gate.sigmoid() * upProjection(x))
    }
}
