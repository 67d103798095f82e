// MARK: - Tensor

/// An immutable, contiguous, row-major array of f32 values with a shape.
///
/// A tensor that takes part in gradient computation carries a ``GradNode``; the node records how
/// the tensor was made so that ``Tensor/backward()`` can walk back to the leaves. Tensors made in a
/// ``Tensor/withNoGrad(_:)`` scope, or from inputs that need no gradient, carry no node.
public struct Tensor: Sendable {
    /// The size of each dimension; `[]` is a scalar.
    public let shape: [Int]
    /// The values, row-major; read them from outside the engine with ``withUnsafeBufferPointer(_:)``.
    package let storage: TensorStorage
    /// The autograd record, or `nil` when no gradient flows through this tensor.
    public let node: GradNode?

    /// Wraps existing storage. `storage.count` must equal the product of `shape`.
    package init(storage: TensorStorage, shape: [Int], node: GradNode? = nil) {
        precondition(
            storage.count == Tensor.elementCount(of: shape),
            "storage holds \(storage.count) values but shape \(shape) needs \(Tensor.elementCount(of: shape))")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// Builds a tensor from values, checking the count against the shape.
    public init(shape: [Int], values: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError.invalidShape(shape) }
        let expected = Tensor.elementCount(of: shape)
        guard expected == values.count else {
            throw TensorError.elementCountMismatch(shape: shape, expected: expected, actual: values.count)
        }
        self.init(storage: values.withUnsafeBufferPointer { TensorStorage(copying: $0) }, shape: shape)
    }

    /// Builds a tensor from values whose count is known to match (a programming error otherwise).
    public init(_ values: [Float], shape: [Int]) {
        precondition(values.count == Tensor.elementCount(of: shape), "\(values.count) values for shape \(shape)")
        self.init(storage: values.withUnsafeBufferPointer { TensorStorage(copying: $0) }, shape: shape)
    }

    /// A 1-D tensor of the given values.
    public init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A scalar.
    public init(scalar: Float) { self.init([scalar], shape: []) }

    // MARK: - Properties

    public var rank: Int { shape.count }
    public var count: Int { storage.count }
    public var requiresGrad: Bool { node != nil }

    /// The values as an array (a copy).
    public var values: [Float] { Array(storage.buffer) }

    /// Calls `body` with the values, row-major, without copying them.
    ///
    /// Like `Array.withUnsafeBufferPointer`, the buffer is valid only inside `body` and must not be
    /// written: tensors are immutable, and the storage may be shared with other tensors.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(storage.buffer) }
    }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs one element, shape is \(shape)")
        return storage.pointer[0]
    }

    /// Size of dimension `axis`; negative axes count from the end.
    public func dim(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "axis \(axis) out of range for shape \(shape)")
        return a
    }

    public static func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of `shape`, in elements.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The same values with no autograd record.
    public func detached() -> Tensor { Tensor(storage: storage, shape: shape) }

    /// The same values as a new autograd leaf, so gradients with respect to it can be read.
    public func requiringGrad() -> Tensor {
        Tensor(storage: storage, shape: shape, node: GradNode(leafShape: shape))
    }
}

// MARK: - Creation

extension Tensor {
    /// Makes a tensor by letting `fill` write all `count` values into fresh storage.
    @inline(__always)
    package static func build(
        shape: [Int], _ fill: (UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        let n = elementCount(of: shape)
        let storage = TensorStorage(uninitializedCount: n)
        fill(storage.pointer, n)
        return Tensor(storage: storage, shape: shape)
    }

    /// Makes a tensor of `shape` whose values `initializer` writes, row-major, into fresh storage.
    ///
    /// In the spirit of `Array(unsafeUninitializedCapacity:initializingWith:)`: the buffer starts
    /// uninitialized, `initializer` must write every element, and the buffer must not escape it.
    /// Throws ``TensorError/invalidShape(_:)`` for a negative dimension, or what `initializer` throws.
    public init(
        shape: [Int], initializingWith initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError.invalidShape(shape) }
        let storage = TensorStorage(uninitializedCount: Tensor.elementCount(of: shape))
        try initializer(storage.mutableBuffer)
        self.init(storage: storage, shape: shape)
    }

    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Tensor(storage: TensorStorage(repeating: value, count: elementCount(of: shape)), shape: shape)
    }

    /// `[start, start+step, ...)` below `end`, as floats.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return build(shape: [n]) { p, n in
            for i in 0..<n { p[i] = start + Float(i) * step }
        }
    }

    /// Standard normal values scaled by `std` and shifted by `mean`.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, std: Float = 1, generator: inout SeededGenerator
    ) -> Tensor {
        build(shape: shape) { p, n in
            for i in 0..<n { p[i] = mean + std * generator.nextNormal() }
        }
    }

    /// Uniform values in `[low, high)`.
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, generator: inout SeededGenerator
    ) -> Tensor {
        build(shape: shape) { p, n in
            for i in 0..<n { p[i] = low + (high - low) * generator.nextUniform() }
        }
    }

    /// PyTorch's `kaiming_uniform_(w, a)` for a weight stored `[out, in, ...]`: bound
    /// `gain * sqrt(3 / fan_in)` with `gain = sqrt(2 / (1 + a²))`. `a = √5` is `nn.Linear`'s default.
    public static func kaimingUniform(
        _ shape: [Int], a: Float = Float(5).squareRoot(), generator: inout SeededGenerator
    ) -> Tensor {
        let fanIn = shape.count < 2 ? Swift.max(1, shape.first ?? 1) : elementCount(of: Array(shape.dropFirst()))
        let gain = (2 / (1 + a * a)).squareRoot()
        let bound = gain * (3 / Float(fanIn)).squareRoot()
        return randomUniform(shape, low: -bound, high: bound, generator: &generator)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = values.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), values: [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
