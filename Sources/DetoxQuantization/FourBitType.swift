// Provenance: bitsandbytes 0.50.2 `functional.py` `get_4bit_type`, and
// `backends/default/ops.py` `_get_4bit_quantize_bounds` (the quantizer that runs on CPU).

// MARK: - FourBitType

/// The two 4-bit data types of bitsandbytes: NormalFloat (`nf4`) and a 4-bit float (`fp4`).
///
/// A 4-bit code is an index into a 16-entry table of values in `[-1, 1]`; a value is stored as the
/// code of the table entry nearest to `value / absmax` of its block.
public enum FourBitType: String, Sendable, CaseIterable, Codable {
    /// NormalFloat4: quantiles of N(0, 1) scaled to `[-1, 1]`, with an exact zero (QLoRA).
    case nf4
    /// E2M1 float with exponent bias 2, in bit-pattern order; bit 3 is the sign.
    case fp4

    /// Parses bitsandbytes' name (`"nf4"`, `"fp4"`).
    public init(name: String) throws {
        guard let type = FourBitType(rawValue: name) else { throw QuantizationError.unknownQuantType(name) }
        self = type
    }

    /// The 16 code values, indexed by code, exactly as `get_4bit_type(name)` builds them in f32.
    public var codeTable: [Float] {
        switch self {
        case .nf4: return FourBitType.nf4Table
        case .fp4: return FourBitType.fp4Table
        }
    }

    /// The codes in ascending order of their values (`torch.argsort` of the table; for FP4 the
    /// two zeros keep code 0 before code 8).
    public var sortOrder: [UInt8] {
        switch self {
        case .nf4: return Array(0..<16)
        case .fp4: return [11, 10, 13, 12, 15, 14, 9, 0, 8, 1, 6, 7, 4, 5, 2, 3]
        }
    }

    /// The 15 midpoints between neighbouring sorted code values, `(a + b) / 2` in f32.
    ///
    /// A scaled value `s` gets the sorted position equal to the number of boundaries strictly
    /// below it (`torch.bucketize` with `right=False`), so a value exactly on a midpoint takes the
    /// lower code.
    public var boundaries: [Float] {
        switch self {
        case .nf4: return FourBitType.nf4Boundaries
        case .fp4: return FourBitType.fp4Boundaries
        }
    }

    // MARK: Tables

    /// `get_4bit_type("nf4")`: the literal table divided by its maximum, 1.
    static let nf4Table: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ].map { Float($0 as Double) }

    /// `get_4bit_type("fp4")`: the E2M1 values in bit-pattern order divided by 12 in f32. Code 8
    /// is +0: the Python list spells it `-0`, an integer.
    static let fp4Table: [Float] = [0, 0.0625, 8, 12, 4, 6, 2, 3, 0, -0.0625, -8, -12, -4, -6, -2, -3]
        .map { Float($0 as Double) / Float(12) }

    static let nf4Boundaries: [Float] = boundaries(of: nf4Table, order: Array(0..<16))
    static let fp4Boundaries: [Float] = boundaries(
        of: fp4Table, order: [11, 10, 13, 12, 15, 14, 9, 0, 8, 1, 6, 7, 4, 5, 2, 3])

    private static func boundaries(of table: [Float], order: [UInt8]) -> [Float] {
        (0..<15).map { (table[Int(order[$0])] + table[Int(order[$0 + 1])]) / 2 }
    }
}
