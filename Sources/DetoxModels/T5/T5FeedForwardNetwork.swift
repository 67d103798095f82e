// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5DenseActDense` / `T5DenseGatedActDense`
import DetoxNN
import DetoxTensor

/// The inner feed-forward of a T5 block (`DenseReluDense` in checkpoints): either
/// ``T5DenseActDense`` (`wo(act(wi x))`, T5 v1.0) or ``T5DenseGatedActDense``
/// (`wo(act(wi_0 x) · wi_1 x)`, T5 v1.1 / flan-t5).
public protocol T5FeedForwardNetwork: Module {
    /// `[..., d_model]` → `[..., d_model]`.
    func callAsFunction(_ x: Tensor) -> Tensor
}
