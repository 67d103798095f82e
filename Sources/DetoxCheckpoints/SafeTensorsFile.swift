import DetoxTensor
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - SafeTensorsFile

/// A safetensors file opened for reading by memory-mapping it.
///
/// Opening maps the file and validates the whole header (see ``init(url:)``); tensors are then
/// decoded on demand, copying their bytes out of the mapping into f32 storage (or integer arrays),
/// so no load depends on the data's alignment in the file. The mapping stays alive as long as any
/// copy of this value does.
///
/// ```swift
/// let file = try SafeTensorsFile(url: modelURL)
/// let weight = try file.tensor("encoder.block.0.layer.0.SelfAttention.q.weight")
/// ```
public struct SafeTensorsFile: Sendable {
    /// Where the file was opened from.
    public let url: URL
    /// The tensor names, in byte order of their UTF-8 spelling.
    public let names: [String]
    /// The `__metadata__` map (empty when the file has none).
    public var metadata: [String: String] { header.metadata }

    private let mapping: MappedFile
    private let header: SafeTensorsHeader

    // MARK: Opening

    /// Maps the file at `url` and validates its header.
    ///
    /// Checks (after `huggingface/safetensors` `tensor.rs`): the length prefix fits the file and is
    /// at most 100,000,000; the header is a JSON object; every entry has a known `dtype`, a
    /// `shape` of non-negative integers whose element count does not overflow, and
    /// `data_offsets` `[begin, end]` with `begin ≤ end` and `end - begin` equal to the element
    /// count times the dtype size; the entries, sorted by offset, cover the data buffer exactly
    /// with no hole or overlap; `__metadata__` maps strings to strings.
    ///
    /// - Throws: ``CheckpointError`` naming the file (and the tensor, where one is at fault).
    public init(url: URL) throws {
        let path = url.path
        let mapping = try MappedFile(path: path)
        self.url = url
        self.mapping = mapping
        self.header = try SafeTensorsHeader.parse(mapping.bytes, file: path)
        self.names = header.entries.keys.sorted(by: SafeTensorsHeader.byteOrder)
    }

    // MARK: Entries

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { header.entries[name] != nil }

    /// The dtype, shape and offsets of the tensor called `name`.
    public func info(_ name: String) throws -> SafeTensorInfo {
        guard let entry = header.entries[name] else {
            throw CheckpointError.missingTensor(file: url.path, tensor: name)
        }
        return entry
    }

    /// Every entry, in the order of ``names``.
    public var infos: [SafeTensorInfo] { names.compactMap { header.entries[$0] } }

    /// Calls `body` with the tensor's stored bytes (little-endian, row-major, as in the file).
    ///
    /// The buffer points into the mapping and may be unaligned; it is valid only during `body`.
    public func withRawBytes<Result>(
        of name: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        let entry = try info(name)
        return try body(rawBytes(of: entry))
    }

    private func rawBytes(of entry: SafeTensorInfo) -> UnsafeRawBufferPointer {
        let start = header.dataStart + entry.dataOffsets.lowerBound
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[start..<(start + entry.dataOffsets.count)])
    }

    // MARK: Loading

    /// The tensor called `name` as f32 values.
    ///
    /// F32 is copied bit for bit; F16 and BF16 are widened exactly (subnormals, infinities, NaN);
    /// F64 is rounded to the nearest f32; BOOL and the integer dtypes become their nearest f32
    /// (exact up to 2²⁴). The other dtypes (F8, F6, F4, C64) throw
    /// ``CheckpointError/unsupportedDType(file:tensor:dtype:)``.
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try info(name)
        guard entry.dtype.isLoadableAsFloat else {
            throw CheckpointError.unsupportedDType(file: url.path, tensor: name, dtype: entry.dtype.rawValue)
        }
        let raw = rawBytes(of: entry)
        let dtype = entry.dtype
        return Tensor.build(shape: entry.shape) { output, count in
            guard count > 0, let source = raw.baseAddress else { return }
            ElementDecoding.floats(dtype, from: source, into: output, count: count)
        }
    }

    /// Every floating-point tensor (F32, F16, BF16, F64) as f32, by name.
    ///
    /// Integer and BOOL tensors (ids, masks, position buffers) are left out; read them with
    /// ``integers(_:)``. A tensor of a dtype that cannot be loaded at all (F8, F6, F4, C64)
    /// throws rather than being skipped silently.
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names {
            let entry = try info(name)
            if entry.dtype.isInteger { continue }
            result[name] = try tensor(name)
        }
        return result
    }

    /// The tensor called `name` as 64-bit integers, row-major, for the integer dtypes (I64, I32,
    /// I16, I8, U64, U32, U16, U8) and BOOL (0 or 1).
    ///
    /// - Throws: ``CheckpointError/dtypeMismatch(file:tensor:expected:actual:)`` for a float
    ///   tensor; ``CheckpointError/invalidEntry(file:tensor:reason:)`` for a U64 value above
    ///   `Int64.max`.
    public func integers(_ name: String) throws -> [Int64] {
        let entry = try info(name)
        guard entry.dtype.isInteger else {
            throw CheckpointError.dtypeMismatch(
                file: url.path, tensor: name, expected: "an integer or BOOL dtype", actual: entry.dtype.rawValue)
        }
        let raw = rawBytes(of: entry)
        let count = entry.elementCount
        guard count > 0, let source = raw.baseAddress else { return [] }
        do {
            return try ElementDecoding.integers(entry.dtype, from: source, count: count)
        } catch let overflow as ElementDecoding.Overflow {
            throw CheckpointError.invalidEntry(
                file: url.path, tensor: name,
                reason: "U64 value \(overflow.value) at index \(overflow.index) does not fit Int64")
        }
    }

}
