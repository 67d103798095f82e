import DetoxTensor

/// A trainable (or frozen) tensor held by a module under its checkpoint name.
///
/// A trainable parameter hands out its value as an autograd leaf, so `loss.backward()[p.tensor]`
/// reads its gradient. Assigning a new value (an optimizer step, a checkpoint load) makes a new leaf;
/// tensors already in flight keep the old one.
public final class Parameter {
    /// The current value; an autograd leaf while the parameter is trainable.
    public private(set) var tensor: Tensor
    /// Whether the parameter takes part in gradient computation.
    public var isTrainable: Bool {
        didSet { if oldValue != isTrainable { assign(tensor) } }
    }

    public init(_ value: Tensor, trainable: Bool = true) {
        self.isTrainable = trainable
        self.tensor = trainable ? value.requiringGrad() : value.detached()
    }

    public var shape: [Int] { tensor.shape }

    /// Puts `value` in place exactly as given (no new autograd leaf) and returns the tensor that was
    /// there, so that putting that one back restores the very same leaf: graphs recorded before the
    /// exchange still find their gradients' parameters (PPO's pass over a frozen reference copy).
    public func exchange(_ value: Tensor) -> Tensor {
        precondition(
            value.shape == tensor.shape, "exchanging shape \(value.shape) with a parameter of shape \(tensor.shape)")
        let previous = tensor
        tensor = value
        return previous
    }

    /// Replaces the value (same shape required).
    public func assign(_ value: Tensor) {
        precondition(
            value.shape == tensor.shape, "assigning shape \(value.shape) to a parameter of shape \(tensor.shape)")
        tensor = isTrainable ? value.requiringGrad() : value.detached()
    }
}
