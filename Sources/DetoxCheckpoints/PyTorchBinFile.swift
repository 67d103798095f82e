import DetoxTensor
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - PyTorchTensorInfo

/// One tensor of a PyTorch checkpoint, as its `_rebuild_tensor_v2` record describes it.
public struct PyTorchTensorInfo: Equatable, Hashable, Sendable {
    /// The state-dict key.
    public let name: String
    /// The element type of the backing storage (`FloatStorage` → F32, `LongStorage` → I64, ...).
    public let dtype: SafeTensorsDType
    /// The size of each dimension; `[]` is a scalar.
    public let shape: [Int]
    /// The step, in elements, between neighbours along each dimension.
    public let stride: [Int]
    /// Where the tensor starts in its storage, in elements.
    public let storageOffset: Int
    /// The storage's key: its bytes are the archive entry `<prefix>/data/<storageKey>`. Tensors
    /// that share a storage (tied weights, views) have the same key.
    public let storageKey: String

    /// The number of elements: the product of ``shape``.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Whether the elements lie in row-major order with no gaps (then no gather is needed).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride.indices.reversed() where shape[axis] != 1 {
            if stride[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }
}

// MARK: - PyTorchBinFile

/// A PyTorch checkpoint written by `torch.save` (≥ 1.6, the zip format: `pytorch_model.bin`),
/// opened for reading by memory-mapping it.
///
/// Opening reads the zip directory (``ZipArchive``, ZIP64 included), unpickles `data.pkl` with
/// ``RestrictedUnpickler`` (which runs no code and refuses every global a state dict does not
/// use), and checks every tensor record: its persistent id, storage class, size, stride and
/// offset must fit the storage entry the archive holds. Tensors are then decoded on demand with
/// the same conversions as ``SafeTensorsFile``: STORED storages are read straight from the
/// mapping, non-contiguous ones (a saved `t.T`, an `expand`) gathered element by element, and
/// DEFLATE storages inflated once at opening.
///
/// Values that are not tensors (the `_metadata` of a state dict, numbers, nested dicts) are
/// skipped; ``names`` lists the tensors at the top level of the pickled dict. Legacy (pre-1.6)
/// files are refused with ``CheckpointError/legacyTorchFormat(file:)``.
public struct PyTorchBinFile: Sendable {
    /// Where the file was opened from.
    public let url: URL
    /// The tensor names, in byte order of their UTF-8 spelling.
    public let names: [String]

    private let entries: [String: PyTorchTensorInfo]
    private let storages: StorageTable

    // MARK: Opening

    /// Maps the file at `url`, reads its archive and pickle, and checks every tensor record.
    ///
    /// - Throws: ``CheckpointError`` naming the file, and the tensor where one is at fault:
    ///   `legacyTorchFormat`, `invalidArchive`, `disallowedGlobal`, `invalidPickle`,
    ///   `invalidStorage`, `storageTooSmall`, or `io`.
    public init(url: URL) throws {
        let path = url.path
        let mapping = try MappedFile(path: path)
        let bytes = mapping.bytes
        guard ZipArchive.hasZipSignature(bytes) else {
            throw Self.notZipError(bytes, path: path)
        }
        let archive = try ZipArchive(path: path, bytes: bytes)

        // The one top-level `<prefix>/data.pkl`.
        let pickles = archive.names.filter { name in
            name.hasSuffix("data.pkl") && name.split(separator: "/", omittingEmptySubsequences: false).count == 2
        }
        guard pickles.count == 1, let pickleName = pickles.first else {
            throw CheckpointError.invalidArchive(
                file: path,
                reason: pickles.isEmpty
                    ? "no '<folder>/data.pkl' entry" : "several data.pkl entries: \(pickles.joined(separator: ", "))")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let order = archive.entries[prefix + "byteorder"] {
            let text = String(decoding: try archive.contents(order, limit: 16), as: UTF8.self)
            guard text == "little" else {
                throw CheckpointError.invalidArchive(
                    file: path, reason: "byte order '\(text)' is not supported (only 'little')")
            }
        }

        guard let pickleEntry = archive.entries[pickleName] else {
            throw CheckpointError.invalidArchive(file: path, reason: "no entry '\(pickleName)'")
        }
        var unpickler = RestrictedUnpickler(
            file: path, data: try archive.contents(pickleEntry, limit: Self.maximumPickleBytes))
        let root = try unpickler.load()
        guard case .dict(let dict) = root else {
            throw CheckpointError.invalidPickle(
                file: path, offset: 0, reason: "the pickled object is a \(root.kind), not a state dict")
        }

        var entries: [String: PyTorchTensorInfo] = [:]
        var table = StorageTable(mapping: mapping)
        var storageDTypes: [String: SafeTensorsDType] = [:]
        for (key, value) in dict.pairs {
            guard case .tensor(let record) = value else { continue }
            guard case .string(let name) = key else {
                throw CheckpointError.invalidPickle(
                    file: path, offset: 0, reason: "a tensor is stored under a \(key.kind) key")
            }
            let checked = try Self.check(record, name: name, prefix: prefix, archive: archive)
            if let known = storageDTypes[checked.info.storageKey], known != checked.info.dtype {
                throw CheckpointError.invalidStorage(
                    file: path, tensor: name,
                    reason: "storage '\(checked.info.storageKey)' is used as both \(known.rawValue) "
                        + "and \(checked.info.dtype.rawValue)")
            }
            storageDTypes[checked.info.storageKey] = checked.info.dtype
            if table.regions[checked.info.storageKey] == nil {
                if checked.entry.method == 8 {
                    table.inflated[checked.info.storageKey] = try archive.inflate(checked.entry)
                } else {
                    try archive.verifyStored(checked.entry)
                    let start = checked.entry.dataOffset
                    table.regions[checked.info.storageKey] = start..<(start + checked.entry.compressedSize)
                }
            }
            entries[name] = checked.info
        }
        self.url = url
        self.entries = entries
        self.storages = table
        self.names = entries.keys.sorted(by: SafeTensorsHeader.byteOrder)
    }

    /// The most bytes `data.pkl` may hold. `torch.save` spends about 130 bytes per tensor of a
    /// state dict (measured with torch 2.13 on 1000 tensors with 50-character names), so 4 MiB
    /// holds some 30 000 tensors, far more than any checkpoint shard; every opcode may build a
    /// value, so this also bounds what a hostile pickle can make the reader allocate.
    static let maximumPickleBytes = 4 << 20

    /// The error for a file that is not a zip archive: a legacy `torch.save` stream (a pickle
    /// starting with `PROTO`, or the older tar layout) or something else.
    private static func notZipError(_ bytes: UnsafeRawBufferPointer, path: String) -> CheckpointError {
        if bytes.count >= 2, bytes[0] == 0x80, (1...5).contains(bytes[1]) {
            return .legacyTorchFormat(file: path)
        }
        if bytes.count >= 262, Array(bytes[257..<262]) == Array("ustar".utf8) {
            return .legacyTorchFormat(file: path)
        }
        if bytes.isEmpty { return .invalidArchive(file: path, reason: "the file is empty") }
        return .invalidArchive(file: path, reason: "not a zip archive (it does not start with PK\\x03\\x04)")
    }

    /// Checks one `_rebuild_tensor_v2` record against the archive.
    private static func check(
        _ record: PickleTensorRecord, name: String, prefix: String, archive: ZipArchive
    ) throws -> (info: PyTorchTensorInfo, entry: ZipArchive.Entry) {
        let path = archive.path
        func bad(_ reason: String) -> CheckpointError { .invalidStorage(file: path, tensor: name, reason: reason) }

        // Persistent id: ('storage', <torch.XStorage>, key, location, numel).
        guard case .persistent(let pid) = record.storage else {
            throw bad("the storage argument is a \(record.storage.kind), not a persistent id")
        }
        guard case .tuple(let fields, _) = pid, fields.count == 5 else {
            throw bad("persistent id is not a 5-tuple ('storage', class, key, location, numel): \(pid.kind)")
        }
        guard case .string("storage") = fields[0] else { throw bad("persistent id does not start with 'storage'") }
        guard case .global(.storage(let className, let dtype)) = fields[1] else {
            throw bad("persistent id names a \(fields[1].kind), not a storage class")
        }
        guard case .string(let storageKey) = fields[2], !storageKey.isEmpty, !storageKey.contains("/") else {
            throw bad("persistent id has no valid storage key")
        }
        guard case .int(let declaredCount) = fields[4], declaredCount >= 0, let numel = Int(exactly: declaredCount)
        else {
            throw bad("persistent id has no valid element count")
        }

        // Offset, size, stride.
        guard case .int(let rawOffset) = record.storageOffset, rawOffset >= 0, let offset = Int(exactly: rawOffset)
        else {
            throw bad("storage offset is not a non-negative integer")
        }
        func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
            guard case .tuple(let items, _) = value else { throw bad("\(what) is a \(value.kind), not a tuple") }
            return try items.map { item in
                guard case .int(let raw) = item, raw >= 0, let v = Int(exactly: raw) else {
                    throw bad("\(what) holds something other than a non-negative integer")
                }
                return v
            }
        }
        let shape = try integers(record.size, "size")
        let stride = try integers(record.stride, "stride")
        guard shape.count == stride.count else {
            throw bad("size has \(shape.count) dimensions but stride has \(stride.count)")
        }

        // Span: the last element reached, plus one.
        var required = 0
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw bad("element count overflows") }
            count = product
        }
        if count > 0 {
            var last = offset
            for (size, step) in zip(shape, stride) {
                let (reach, overflow1) = (size - 1).multipliedReportingOverflow(by: step)
                let (sum, overflow2) = last.addingReportingOverflow(reach)
                guard !overflow1, !overflow2 else { throw bad("size and stride overflow") }
                last = sum
            }
            required = last + 1
        }

        // The storage entry.
        let entryName = "\(prefix)data/\(storageKey)"
        guard let entry = archive.entries[entryName] else {
            throw bad("storage '\(storageKey)' has no archive entry '\(entryName)'")
        }
        let elementSize = dtype.bitSize / 8
        guard numel.multipliedReportingOverflow(by: elementSize).overflow == false else {
            throw bad("storage element count overflows")
        }
        let available = Swift.min(numel, entry.uncompressedSize / elementSize)
        guard required <= available else {
            throw CheckpointError.storageTooSmall(
                file: path, tensor: name,
                storage: "\(storageKey) (\(className), entry of \(entry.uncompressedSize) bytes)",
                requiredElements: required, availableElements: available)
        }
        let info = PyTorchTensorInfo(
            name: name, dtype: dtype, shape: shape, stride: stride, storageOffset: offset, storageKey: storageKey)
        return (info, entry)
    }

    // MARK: Entries

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The dtype, shape, stride and storage of the tensor called `name`.
    public func info(_ name: String) throws -> PyTorchTensorInfo {
        guard let entry = entries[name] else { throw CheckpointError.missingTensor(file: url.path, tensor: name) }
        return entry
    }

    /// Every entry, in the order of ``names``.
    public var infos: [PyTorchTensorInfo] { names.compactMap { entries[$0] } }

    // MARK: Loading

    /// The tensor called `name` as f32 values, row-major whatever its stride.
    ///
    /// F32 is copied bit for bit; F16 and BF16 are widened exactly; F64 is rounded to the nearest
    /// f32; BOOL and the integer types become their nearest f32 (exact up to 2²⁴).
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try info(name)
        return storages.withElements(of: entry) { source, count in
            Tensor.build(shape: entry.shape) { output, _ in
                guard count > 0, let source else { return }
                ElementDecoding.floats(entry.dtype, from: source, into: output, count: count)
            }
        }
    }

    /// Every floating-point tensor (F32, F16, BF16, F64) as f32, by name. Integer and BOOL
    /// tensors (`position_ids` buffers, masks) are left out; read them with ``integers(_:)``.
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names where entries[name]!.dtype.isFloatingPoint {
            result[name] = try tensor(name)
        }
        return result
    }

    /// The tensor called `name` as 64-bit integers, row-major, for the integer types and BOOL.
    ///
    /// - Throws: ``CheckpointError/dtypeMismatch(file:tensor:expected:actual:)`` for a float tensor.
    public func integers(_ name: String) throws -> [Int64] {
        let entry = try info(name)
        guard entry.dtype.isInteger else {
            throw CheckpointError.dtypeMismatch(
                file: url.path, tensor: name, expected: "an integer or BOOL dtype", actual: entry.dtype.rawValue)
        }
        return storages.withElements(of: entry) { source, count in
            guard count > 0, let source else { return [] }
            // Torch storages have no U64 dtype, the only one that can overflow.
            return (try? ElementDecoding.integers(entry.dtype, from: source, count: count)) ?? []
        }
    }
}

// MARK: - StorageTable

/// Where each storage's bytes are: a range of the mapping (STORED entries) or an inflated copy.
private struct StorageTable: Sendable {
    let mapping: MappedFile
    var regions: [String: Range<Int>] = [:]
    var inflated: [String: [UInt8]] = [:]

    init(mapping: MappedFile) { self.mapping = mapping }

    /// Calls `body` with the tensor's elements in row-major order, contiguous: a pointer into
    /// the storage when the tensor is contiguous, or into a gathered copy otherwise.
    func withElements<Result>(of info: PyTorchTensorInfo, _ body: (UnsafeRawPointer?, Int) -> Result) -> Result {
        let elementSize = info.dtype.bitSize / 8
        let count = info.elementCount
        return withStorage(info.storageKey) { storage in
            guard count > 0, let base = storage.baseAddress else { return body(nil, 0) }
            let start = base + info.storageOffset * elementSize
            if info.isContiguous { return body(start, count) }
            var gathered = [UInt8](repeating: 0, count: count * elementSize)
            gathered.withUnsafeMutableBytes { output in
                // `count > 0`, so the gathered bytes are never empty.
                guard let destination = output.baseAddress else { return }
                Self.gather(info, from: start, elementSize: elementSize, into: destination)
            }
            return gathered.withUnsafeBytes { body($0.baseAddress, count) }
        }
    }

    private func withStorage<Result>(_ key: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let region = regions[key] {
            return body(UnsafeRawBufferPointer(rebasing: mapping.bytes[region]))
        }
        return inflated[key]!.withUnsafeBytes(body)
    }

    /// Copies `count` elements of type `T`, `step` bytes apart from `source`, to `output`.
    @inline(__always)
    private static func copyRow<T: FixedWidthInteger>(
        _: T.Type, _ source: UnsafeRawPointer, _ step: Int, _ count: Int, _ output: UnsafeMutableRawPointer
    ) {
        for i in 0..<count {
            output.storeBytes(
                of: source.loadUnaligned(fromByteOffset: i * step, as: T.self), toByteOffset: i * MemoryLayout<T>.size,
                as: T.self)
        }
    }

    /// Copies the elements of a strided tensor starting at `start` into `output` in row-major
    /// order; the innermost dimension is walked in a loop, the outer ones as an odometer.
    private static func gather(
        _ info: PyTorchTensorInfo, from start: UnsafeRawPointer, elementSize: Int, into output: UnsafeMutableRawPointer
    ) {
        let shape = info.shape
        let stride = info.stride
        let rank = shape.count
        let innerSize = shape[rank - 1]
        let innerStep = stride[rank - 1] * elementSize
        var index = [Int](repeating: 0, count: rank)
        var written = 0
        let rows = info.elementCount / innerSize
        for _ in 0..<rows {
            var source = 0
            for axis in 0..<(rank - 1) { source += index[axis] * stride[axis] }
            let pointer = start + source * elementSize
            switch elementSize {
            case 1: copyRow(UInt8.self, pointer, innerStep, innerSize, output + written)
            case 2: copyRow(UInt16.self, pointer, innerStep, innerSize, output + written)
            case 4: copyRow(UInt32.self, pointer, innerStep, innerSize, output + written)
            default: copyRow(UInt64.self, pointer, innerStep, innerSize, output + written)
            }
            written += innerSize * elementSize
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
