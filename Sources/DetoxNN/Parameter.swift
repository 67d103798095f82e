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

    /// Replaces the value (same shape required).
    public func assign(_ value: Tensor) {
        precondition(
            value.shape == tensor.shape, "assigning shape \(value.shape) to a parameter of shape \(tensor.shape)")
        tensor = isTrainable ? value.requiringGrad() : value.detached()
    }
}
