import DetoxNN

// MARK: - Memory report

/// What a module tree occupies once some of its linear layers hold 4-bit weights.
public struct QuantizedFootprint: Sendable, Equatable, CustomStringConvertible {
    /// Values stored in 4 bits (the weights of ``Linear4Bit`` layers).
    public var fourBitValueCount = 0
    /// Bytes of those 4-bit weights, with their scales (``QuantizedTensor4Bit/byteCount``).
    public var fourBitBytes = 0
    /// Values of ordinary parameters (biases, norms, embeddings, unquantized layers), f32.
    public var float32ValueCount = 0

    /// Bytes of the f32 parameters.
    public var float32Bytes: Int { 4 * float32ValueCount }
    /// Total bytes.
    public var totalBytes: Int { fourBitBytes + float32Bytes }
    /// Bytes the same values would take in f32.
    public var unquantizedBytes: Int { 4 * (fourBitValueCount + float32ValueCount) }
    /// Average bytes per value.
    public var bytesPerValue: Double {
        let values = fourBitValueCount + float32ValueCount
        return values == 0 ? 0 : Double(totalBytes) / Double(values)
    }

    public var description: String {
        "\(totalBytes) bytes (4-bit weights \(fourBitBytes) for \(fourBitValueCount) values, "
            + "f32 parameters \(float32Bytes)); \(unquantizedBytes) bytes in f32"
    }
}

extension Module {
    /// Bytes this module tree occupies: every ``Linear4Bit`` weight at its packed size (codes and
    /// scales) plus 4 bytes per value of every ordinary parameter.
    public var quantizedByteCount: Int { quantizedFootprint.totalBytes }

    /// The breakdown behind ``quantizedByteCount``.
    public var quantizedFootprint: QuantizedFootprint {
        var footprint = QuantizedFootprint()
        var stack: [any Module] = [self]
        while let module = stack.popLast() {
            if let layer = module as? Linear4Bit {
                footprint.fourBitValueCount += layer.weight.count
                footprint.fourBitBytes += layer.weight.byteCount
            }
            for (_, parameter) in module.namedParameters { footprint.float32ValueCount += parameter.tensor.count }
            stack.append(contentsOf: module.namedChildren.map(\.module))
        }
        return footprint
    }
}
