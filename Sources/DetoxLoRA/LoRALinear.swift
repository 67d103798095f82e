import DetoxNN
import DetoxTensor

/// A low-rank adapter over any linear layer, as PEFT's `lora.Linear`:
/// `y = base(x) + scale · B(A(dropout(x)))` with `A` `[r, in]`, `B` `[out, r]`,
/// `scale = alpha / r` (or `alpha / √r` with rsLoRA).
///
/// `A` starts Kaiming-uniform (a = √5) and `B` at zero, so a fresh adapter changes nothing. The
/// base stays frozen. Parameter names keep the base's own (`weight`, `bias`) so base checkpoints
/// still load, and add `lora_A.weight` / `lora_B.weight` — PEFT's names without the adapter name.
public final class LoRALinear: LinearLayer, LinearContainer {
    public private(set) var base: any LinearLayer
    public let loraA: Linear
    public let loraB: Linear
    public let dropout: Dropout
    public let rank: Int
    public let alpha: Float
    public let scale: Float
    /// When false the layer is exactly its base (the PPO reference model is the policy with its
    /// adapters disabled).
    public var isEnabled = true

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }

    public init(
        base: any LinearLayer, rank: Int, alpha: Float, dropout: Float = 0, useRSLoRA: Bool = false,
        generator: inout SeededGenerator
    ) {
        precondition(rank > 0, "LoRA rank must be positive")
        self.base = base
        self.rank = rank
        self.alpha = alpha
        self.scale = useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank)
        loraA = Linear(weight: Tensor.kaimingUniform([rank, base.inFeatures], generator: &generator))
        loraB = Linear(weight: Tensor.zeros([base.outFeatures, rank]))
        self.dropout = Dropout(probability: dropout, seed: generator.next())
        base.setTrainable(false)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] { base.parameters() }

    public var namedChildren: [(name: String, module: any Module)] {
        [("lora_A", loraA), ("lora_B", loraB), ("lora_dropout", dropout)]
    }

    public func setTraining(_ training: Bool) {
        dropout.setTraining(training)
        base.setTraining(training)
    }

    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "base_layer" else { return false }
        base = layer
        return true
    }

    /// A dense base with no active dropout runs as one operation (``Tensor/lowRankAffine(_:weight:bias:down:up:scale:)``),
    /// any other from its parts.
    /// - Parameter x: `[..., in]`. - Returns: `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isEnabled else { return base(x) }
        if let dense = base as? Linear, !dropout.isActive {
            return Tensor.lowRankAffine(
                x, weight: dense.weight.tensor, bias: dense.bias?.tensor,
                down: loraA.weight.tensor, up: loraB.weight.tensor, scale: scale)
        }
        let y = base(x)
        // [..., in] → [..., r] → [..., out]; the scale applied at rank r (PEFT scales the [..., out]
        // product: the same up to rounding, at a fraction of the work).
        let update = loraB(loraA(dropout(x)) * scale)
        return y + update
    }

    /// The base with the adapter folded in: a plain `Linear` with `W + scale · B·A`.
    public func merged() throws -> Linear {
        guard let dense = base as? any DenseWeightConvertible else { throw LoRAError.notMergeable(path: "") }
        let delta = Tensor.withNoGrad { loraB.weight.tensor.matmul(loraA.weight.tensor) * scale }
        return Tensor.withNoGrad { Linear(weight: dense.denseWeight + delta, bias: dense.denseBias) }
    }
}
