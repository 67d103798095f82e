import Foundation

// MARK: - Element decoding

/// Little-endian element decoding shared by the safetensors and PyTorch `.bin` readers; loads never
/// assume alignment.
enum ElementDecoding {

    /// Element `index` of a little-endian array of `T` at `base`, loaded without assuming
    /// alignment.
    @inline(__always)
    static func little<T: FixedWidthInteger>(_: T.Type, _ base: UnsafeRawPointer, _ index: Int) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
    }

    /// Converts `count` elements of `dtype` at `source` into f32 values at `output`.
    static func floats(
        _ dtype: SafeTensorsDType, from source: UnsafeRawPointer, into output: UnsafeMutablePointer<Float>, count: Int
    ) {
        switch dtype {
        case .f32:
            #if _endian(little)
                memcpy(output, source, count * 4)
            #else
                for i in 0..<count { output[i] = Float(bitPattern: little(UInt32.self, source, i)) }
            #endif
        case .f16:
            for i in 0..<count {
                let bits = HalfPrecision.float32Bits(fromFloat16Bits: little(UInt16.self, source, i))
                output[i] = Float(bitPattern: bits)
            }
        case .bf16:
            for i in 0..<count {
                let bits = HalfPrecision.float32Bits(fromBFloat16Bits: little(UInt16.self, source, i))
                output[i] = Float(bitPattern: bits)
            }
        case .f64:
            for i in 0..<count { output[i] = Float(Double(bitPattern: little(UInt64.self, source, i))) }
        case .bool:
            for i in 0..<count { output[i] = source.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
        case .u8:
            for i in 0..<count { output[i] = Float(source.load(fromByteOffset: i, as: UInt8.self)) }
        case .i8:
            for i in 0..<count { output[i] = Float(source.load(fromByteOffset: i, as: Int8.self)) }
        case .u16:
            for i in 0..<count { output[i] = Float(little(UInt16.self, source, i)) }
        case .i16:
            for i in 0..<count { output[i] = Float(Int16(bitPattern: little(UInt16.self, source, i))) }
        case .u32:
            for i in 0..<count { output[i] = Float(little(UInt32.self, source, i)) }
        case .i32:
            for i in 0..<count { output[i] = Float(Int32(bitPattern: little(UInt32.self, source, i))) }
        case .u64:
            for i in 0..<count { output[i] = Float(little(UInt64.self, source, i)) }
        case .i64:
            for i in 0..<count { output[i] = Float(Int64(bitPattern: little(UInt64.self, source, i))) }
        case .f4, .f6e2m3, .f6e3m2, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz, .c64:
            // Rejected by `tensor(_:)` before decoding starts.
            for i in 0..<count { output[i] = .nan }
        }
    }

    /// A U64 value that does not fit `Int64`.
    struct Overflow: Error {
        let index: Int
        let value: UInt64
    }

    /// Converts `count` elements of an integer or BOOL `dtype` at `source` into `Int64`s.
    /// - Throws: ``Overflow`` for a U64 value above `Int64.max`.
    static func integers(_ dtype: SafeTensorsDType, from source: UnsafeRawPointer, count: Int) throws -> [Int64] {
        var values = [Int64](repeating: 0, count: count)
        switch dtype {
        case .bool: for i in 0..<count { values[i] = source.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
        case .u8: for i in 0..<count { values[i] = Int64(source.load(fromByteOffset: i, as: UInt8.self)) }
        case .i8: for i in 0..<count { values[i] = Int64(source.load(fromByteOffset: i, as: Int8.self)) }
        case .u16: for i in 0..<count { values[i] = Int64(little(UInt16.self, source, i)) }
        case .i16: for i in 0..<count { values[i] = Int64(Int16(bitPattern: little(UInt16.self, source, i))) }
        case .u32: for i in 0..<count { values[i] = Int64(little(UInt32.self, source, i)) }
        case .i32: for i in 0..<count { values[i] = Int64(Int32(bitPattern: little(UInt32.self, source, i))) }
        case .i64: for i in 0..<count { values[i] = Int64(bitPattern: little(UInt64.self, source, i)) }
        case .u64:
            for i in 0..<count {
                let value = little(UInt64.self, source, i)
                guard let exact = Int64(exactly: value) else { throw Overflow(index: i, value: value) }
                values[i] = exact
            }
        default: break // Float dtypes are rejected by the callers before decoding.
        }
        return values
    }
}
