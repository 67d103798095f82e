/// Errors raised by tensor construction from untrusted input (files, flags, user arrays).
///
/// Shape mistakes made by code (multiplying a `[2, 3]` by a `[4, 5]`) are programming errors and
/// trap with a message naming both shapes; values read from files never reach those traps without
/// passing through a throwing check first.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// The element count does not match the product of the shape.
    case elementCountMismatch(shape: [Int], expected: Int, actual: Int)
    /// A dimension is negative.
    case invalidShape([Int])
    /// A gradient was requested of a tensor that is not a scalar.
    case backwardOfNonScalar(shape: [Int])
    /// An index is out of range.
    case indexOutOfRange(index: Int, bound: Int)

    public var description: String {
        switch self {
        case .elementCountMismatch(let shape, let expected, let actual):
            return "shape \(shape) needs \(expected) elements, got \(actual)"
        case .invalidShape(let shape):
            return "invalid shape \(shape): dimensions must be non-negative"
        case .backwardOfNonScalar(let shape):
            return "backward() needs a scalar (one element), got shape \(shape)"
        case .indexOutOfRange(let index, let bound):
            return "index \(index) is out of range 0..<\(bound)"
        }
    }
}
