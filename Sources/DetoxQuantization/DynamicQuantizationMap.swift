// Provenance: bitsandbytes 0.50.2 `functional.py` `create_dynamic_map()` (the default 8-bit code of
// `quantize_blockwise`, used for double quantization) and `csrc/cpu_ops.cpp` `build_quantize_lut`
// (how the CPU kernel finds the nearest code).

// MARK: - DynamicQuantizationMap

/// The signed 8-bit dynamic data type of bitsandbytes (Dettmers' dynamic exponent / fraction map).
///
/// 256 sorted values in `[-1, 1]`: 127 negative values, zero, 127 positive values and 1.0. The
/// positive magnitudes are `10^(i-6) · (b[j] + b[j+1]) / 2` for `b = linspace(0.1, 1, 2^i + 1)`,
/// `i = 0...6`, as `create_dynamic_map()` computes them with PyTorch's f32 `linspace`; they are
/// listed here bit for bit (PyTorch's vectorized `linspace` rounds differently from a scalar
/// re-computation), and the tests check them against bitsandbytes.
public enum DynamicQuantizationMap {
    /// The 256 values, ascending; index = 8-bit code.
    public static let values: [Float] = {
        let negatives = positiveMagnitudes.reversed().map { -$0 }
        return negatives + [0] + positiveMagnitudes + [1]
    }()

    /// The 127 positive values below 1, ascending.
    static let positiveMagnitudes: [Float] = [
        0x1.27476ep-21, 0x1.b43528p-19, 0x1.040bfep-17, 0x1.64840cp-16, 0x1.6f0068p-15, 0x1.15df66p-14,
        0x1.743e96p-14, 0x1.47ae16p-13, 0x1.19ce0ap-12, 0x1.8fc506p-12, 0x1.02de02p-11, 0x1.3dd982p-11,
        0x1.78d5p-11, 0x1.b3d07cp-11, 0x1.eecbfep-11, 0x1.4fdf3ap-10, 0x1.e353f8p-10, 0x1.3b645ap-9,
        0x1.851eb8p-9, 0x1.ced914p-9, 0x1.0c49bap-8, 0x1.3126e8p-8, 0x1.56041ap-8, 0x1.7ae148p-8,
        0x1.9fbe76p-8, 0x1.c49ba6p-8, 0x1.e978d4p-8, 0x1.072b02p-7, 0x1.19999ap-7, 0x1.2c083p-7,
        0x1.3e76c8p-7, 0x1.75c29p-7, 0x1.d1eb86p-7, 0x1.170a3ep-6, 0x1.451ebap-6, 0x1.733334p-6,
        0x1.a147aep-6, 0x1.cf5c2ap-6, 0x1.fd70a4p-6, 0x1.15c29p-5, 0x1.2ccccep-5, 0x1.43d70ap-5,
        0x1.5ae146p-5, 0x1.71eb86p-5, 0x1.88f5c2p-5, 0x1.ap-5, 0x1.b70a3ep-5, 0x1.ce147ap-5,
        0x1.e51ebap-5, 0x1.fc28f6p-5, 0x1.09999ap-4, 0x1.151ebap-4, 0x1.20a3d6p-4, 0x1.2c28f6p-4,
        0x1.37ae14p-4, 0x1.433334p-4, 0x1.4eb854p-4, 0x1.5a3d7p-4, 0x1.65c29p-4, 0x1.7147aep-4,
        0x1.7ccccep-4, 0x1.8851eep-4, 0x1.93d70ap-4, 0x1.b66668p-4, 0x1.fp-4, 0x1.14ccccp-3,
        0x1.31999ap-3, 0x1.4e6666p-3, 0x1.6b3334p-3, 0x1.88p-3, 0x1.a4ccccp-3, 0x1.c1999ap-3,
        0x1.de6666p-3, 0x1.fb3332p-3, 0x1.0cp-2, 0x1.1a6668p-2, 0x1.28ccccp-2, 0x1.373334p-2,
        0x1.459998p-2, 0x1.54p-2, 0x1.626666p-2, 0x1.70ccccp-2, 0x1.7f3334p-2, 0x1.8d9998p-2,
        0x1.9cp-2, 0x1.aa6666p-2, 0x1.b8ccccp-2, 0x1.c73334p-2, 0x1.d59998p-2, 0x1.e4p-2,
        0x1.f26664p-2, 0x1.006666p-1, 0x1.079998p-1, 0x1.0eccccp-1, 0x1.16p-1, 0x1.1d3334p-1,
        0x1.246668p-1, 0x1.2b999ap-1, 0x1.32ccccp-1, 0x1.3ap-1, 0x1.413334p-1, 0x1.486668p-1,
        0x1.4f999ap-1, 0x1.56ccccp-1, 0x1.5ep-1, 0x1.653334p-1, 0x1.6c6668p-1, 0x1.73999ap-1,
        0x1.7accccp-1, 0x1.82p-1, 0x1.893334p-1, 0x1.906666p-1, 0x1.97999ap-1, 0x1.9eccccp-1,
        0x1.a6p-1, 0x1.ad3334p-1, 0x1.b46666p-1, 0x1.bb999ap-1, 0x1.c2ccccp-1, 0x1.cap-1,
        0x1.d13334p-1, 0x1.d86666p-1, 0x1.df999ap-1, 0x1.e6ccccp-1, 0x1.eep-1, 0x1.f53334p-1,
        0x1.fc6666p-1,
    ]

    // MARK: Nearest-code lookup of the CPU kernel

    /// Number of bins the CPU kernel divides `[-1, 1]` into.
    static let lookupSize = 65536

    /// bitsandbytes' CPU `quantize_blockwise` does not search for the nearest code: it maps a
    /// normalized value to one of 65536 evenly spaced bins (``lookupIndex(_:)``) and reads the code
    /// precomputed for the bin's centre. This is that table: bin `i` stands for
    /// `-1 + 2i / 65535` and holds the number of code midpoints strictly below it.
    static let lookup: [UInt8] = {
        let code = values
        var midpoints = [Float](repeating: 0, count: 255)
        for i in 0..<255 { midpoints[i] = 0.5 * (code[i] + code[i + 1]) }
        var table = [UInt8](repeating: 0, count: lookupSize)
        var codeIndex = 0
        for i in 0..<lookupSize {
            let value: Float = -1 + (2 * Float(i)) / Float(lookupSize - 1)
            while codeIndex < 255 && midpoints[codeIndex] < value { codeIndex += 1 }
            table[i] = UInt8(codeIndex)
        }
        return table
    }()

    /// The bin of a normalized value: `(clamp(v, -1, 1) + 1) · 0.5 · 65535 + 0.5`, truncated.
    ///
    /// NaN (only possible as `0 · ∞` when a block's absmax is so small that its reciprocal
    /// overflows) takes bin 0, which is what the x86-64 conversion in the C++ kernel yields.
    @inline(__always)
    static func lookupIndex(_ value: Float) -> Int {
        if value.isNaN { return 0 }
        let clamped = value < -1 ? -1 : (value > 1 ? 1 : value)
        let scaled = (clamped + 1) * 0.5 * Float(lookupSize - 1) + 0.5
        return Int(scaled)
    }
}
