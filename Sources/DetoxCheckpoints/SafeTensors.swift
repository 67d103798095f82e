import DetoxFiles
import DetoxTensor
import Foundation

// MARK: - SafeTensors

/// Writing safetensors files that Python's `safetensors` loads.
///
/// Reading is ``SafeTensorsFile``.
public enum SafeTensors {
    /// The element type tensors are stored as.
    public enum StorageType: String, Sendable, CaseIterable {
        /// f32, bit for bit.
        case f32
        /// IEEE binary16, rounded to nearest with ties to even (overflow becomes infinity).
        case f16
        /// bfloat16, rounded to nearest with ties to even.
        case bf16

        /// The header dtype written for this storage type.
        public var dtype: SafeTensorsDType {
            switch self {
            case .f32: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        }
    }

    /// Elements converted per chunk when narrowing to 16 bits.
    private static let chunkElements = 1 << 16

    // MARK: Writing

    /// Writes `tensors` to `url` as a safetensors file, atomically.
    ///
    /// The layout matches the Rust writer for a single dtype: tensors sorted by name (UTF-8 byte
    /// order), laid out contiguously from offset 0, and the JSON header padded with spaces to a
    /// multiple of 8 bytes so that every tensor starts 8-byte aligned. `metadata`, when given,
    /// is written as `__metadata__` with sorted keys. The output is deterministic: the same
    /// tensors and metadata always give the same bytes.
    ///
    /// The file is written next to `url` under a temporary name, flushed, and renamed into place
    /// (see ``AtomicFileWriter``), so a failure or crash never leaves a partial file at `url`.
    ///
    /// - Throws: ``CheckpointError/invalidEntry(file:tensor:reason:)`` for a tensor named
    ///   `__metadata__`; ``CheckpointError/io(file:reason:)`` when the file cannot be written.
    public static func write(
        _ tensors: [String: Tensor], metadata: [String: String]? = nil, dtype: StorageType = .f32, to url: URL
    ) throws {
        let names = tensors.keys.sorted(by: SafeTensorsHeader.byteOrder)
        if names.contains(SafeTensorsHeader.metadataKey) {
            throw CheckpointError.invalidEntry(
                file: url.path, tensor: SafeTensorsHeader.metadataKey, reason: "the name is reserved for metadata")
        }
        let ordered = names.compactMap { name in tensors[name].map { (name, $0) } }
        let elementBytes = dtype.dtype.bitSize / 8
        let slots = ordered.map { name, tensor in
            SafeTensorsHeader.Slot(
                name: name, dtype: dtype.dtype, shape: tensor.shape, byteCount: tensor.count * elementBytes)
        }
        let header = SafeTensorsHeader.encode(slots, metadata: metadata)

        do {
            try writeAtomically(to: url, header: header, ordered: ordered, dtype: dtype)
        } catch FileWriteError.io(let file, let reason) {
            throw CheckpointError.io(file: file, reason: reason)
        }
    }

    private static func writeAtomically(
        to url: URL, header: [UInt8], ordered: [(String, Tensor)], dtype: StorageType
    ) throws {
        try AtomicFileWriter.write(to: url) { writer in
            var prefix = [UInt8](repeating: 0, count: 8)
            let length = UInt64(header.count)
            for index in 0..<8 { prefix[index] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(index))) }
            try writer.write(prefix)
            try writer.write(header)
            for (_, tensor) in ordered {
                try writeData(of: tensor, as: dtype, to: &writer)
            }
        }
    }

    /// Appends `tensor`'s values in little-endian `type` encoding.
    private static func writeData(of tensor: Tensor, as type: StorageType, to writer: inout AtomicFileWriter) throws {
        try tensor.withUnsafeBufferPointer { values in
            switch type {
            case .f32:
                #if _endian(little)
                    try writer.write(UnsafeRawBufferPointer(values))
                #else
                    try writeConverted(values, to: &writer) { $0.bitPattern.littleEndian }
                #endif
            case .f16:
                try writeConverted(values, to: &writer) {
                    HalfPrecision.float16Bits(fromFloat32Bits: $0.bitPattern).littleEndian
                }
            case .bf16:
                try writeConverted(values, to: &writer) {
                    HalfPrecision.bfloat16Bits(fromFloat32Bits: $0.bitPattern).littleEndian
                }
            }
        }
    }

    /// Converts `values` chunk by chunk with `convert` and appends the results.
    private static func writeConverted<Element>(
        _ values: UnsafeBufferPointer<Float>, to writer: inout AtomicFileWriter, _ convert: (Float) -> Element
    ) throws {
        var chunk: [Element] = []
        chunk.reserveCapacity(Swift.min(values.count, chunkElements))
        var start = 0
        while start < values.count {
            let end = Swift.min(start + chunkElements, values.count)
            chunk.removeAll(keepingCapacity: true)
            for index in start..<end { chunk.append(convert(values[index])) }
            try chunk.withUnsafeBytes { try writer.write($0) }
            start = end
        }
    }
}
