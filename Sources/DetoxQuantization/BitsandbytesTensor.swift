// MARK: - BitsandbytesTensor

/// One entry of a bitsandbytes 4-bit state dict: packed codes and 8-bit scales are `uint8`,
/// everything else `float32`.
///
/// Kept apart from `Tensor` (which is f32 only) so that codes travel as bytes; a
/// safetensors reader or writer maps `.uint8` to `U8` and `.float32` to `F32`.
public enum BitsandbytesTensor: Sendable, Equatable {
    case uint8([UInt8], shape: [Int])
    case float32([Float], shape: [Int])

    /// The tensor's shape.
    public var shape: [Int] {
        switch self {
        case .uint8(_, let shape), .float32(_, let shape): return shape
        }
    }

    /// The safetensors dtype name (`"U8"` or `"F32"`).
    public var dtypeName: String {
        switch self {
        case .uint8: return "U8"
        case .float32: return "F32"
        }
    }
}
