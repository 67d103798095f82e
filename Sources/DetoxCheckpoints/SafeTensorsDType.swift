// MARK: - SafeTensorsDType

/// The element types a safetensors header may name (`Dtype` in `huggingface/safetensors`
/// `safetensors/src/tensor.rs`).
///
/// All of them are accepted when a file is opened, so that a file can be listed and validated
/// whatever it holds; which ones can be *loaded* depends on the accessor
/// (``isLoadableAsFloat``, ``isInteger``).
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6e2m3 = "F6_E2M3"
    case f6e3m2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ"
    case f8e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    // MARK: Sizes

    /// Bits per element.
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// The byte count of `elementCount` elements, or `nil` when it overflows or, for sub-byte
    /// dtypes, does not end on a byte boundary.
    public func byteCount(elementCount: Int) -> Int? {
        let (bits, overflow) = elementCount.multipliedReportingOverflow(by: bitSize)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }

    // MARK: Kinds

    /// Whether ``SafeTensorsFile/tensor(_:)`` can turn this dtype into f32 values: the float
    /// dtypes F32, F16, BF16 (widened exactly), F64 (rounded to nearest), and the integer and
    /// boolean dtypes (converted to their nearest f32).
    public var isLoadableAsFloat: Bool { isFloatingPoint || isInteger }

    /// F16, BF16, F32 and F64: the dtypes ``SafeTensorsFile/tensors()`` returns.
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: return true
        default: return false
        }
    }

    /// BOOL and the signed and unsigned integer dtypes: those ``SafeTensorsFile/integers(_:)``
    /// returns.
    public var isInteger: Bool {
        switch self {
        case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64: return true
        default: return false
        }
    }
}
