// MARK: - QuantizationError

/// Errors from the Quantization target, each carrying what was expected and what was found.
public enum QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A block size outside the ones bitsandbytes accepts.
    case invalidBlocksize(expected: [Int], actual: Int)
    /// A tensor with no elements cannot be quantized.
    case emptyTensor(shape: [Int])
    /// A NaN or infinite value in a tensor being quantized (its block's absmax would be meaningless).
    case nonFiniteValue(index: Int, value: Float)
    /// A component of a quantized tensor (packed codes, absmax, nested absmax...) has the wrong length.
    case componentCountMismatch(component: String, expected: Int, actual: Int)
    /// A shape that does not fit: a weight that is not 2-D, a bias of the wrong length, an input whose
    /// last dimension is not the layer's input width.
    case shapeMismatch(what: String, expected: [Int], actual: [Int])
    /// A quantization type name other than `nf4` and `fp4`.
    case unknownQuantType(String)
    /// A bitsandbytes state-dict entry that is missing or malformed.
    case invalidStateDict(key: String, reason: String)

    public var description: String {
        switch self {
        case .invalidBlocksize(let expected, let actual):
            return
                "block size \(actual) is not supported (expected one of \(expected.map(String.init).joined(separator: ", ")))"
        case .emptyTensor(let shape):
            return "cannot quantize an empty tensor of shape \(shape)"
        case .nonFiniteValue(let index, let value):
            return "cannot quantize a non-finite value (\(value) at flat index \(index))"
        case .componentCountMismatch(let component, let expected, let actual):
            return "\(component) has \(actual) elements, expected \(expected)"
        case .shapeMismatch(let what, let expected, let actual):
            return "\(what): expected shape \(expected), found \(actual)"
        case .unknownQuantType(let name):
            return "unknown 4-bit quantization type \"\(name)\" (expected nf4 or fp4)"
        case .invalidStateDict(let key, let reason):
            return "bitsandbytes state dict entry \(key): \(reason)"
        }
    }
}
