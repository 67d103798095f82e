import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxCheckpoints

// MARK: - Fixtures

/// The URL of a file (or folder) in `Tests/DetoxCheckpointsTests/Fixtures/pytorch/`.
func pytorchFixture(_ relativePath: String) throws -> URL {
    let folder = try #require(Bundle.module.url(forResource: "pytorch", withExtension: nil, subdirectory: "Fixtures"))
    let url = folder.appendingPathComponent(relativePath)
    try #require(FileManager.default.fileExists(atPath: url.path), "missing fixture \(relativePath)")
    return url
}

/// `expected.json`'s description of one fixture file: per tensor, dtype, shape and values.
struct ExpectedTensor {
    let dtype: SafeTensorsDType
    let shape: [Int]
    /// The f32 bit patterns (floating tensors).
    let f32Bits: [UInt32]?
    /// The integer values (integer and bool tensors).
    let ints: [Int64]?
}

func expectedTensors(of file: String) throws -> [String: ExpectedTensor] {
    let root = try expectedJSON()
    let files = try #require(root["files"] as? [String: [String: [String: Any]]])
    let entries = try #require(files[file], "expected.json has no \(file)")
    var result: [String: ExpectedTensor] = [:]
    for (name, entry) in entries {
        let dtypeName = try #require(entry["dtype"] as? String)
        let dtype = try #require(SafeTensorsDType(rawValue: dtypeName))
        result[name] = ExpectedTensor(
            dtype: dtype, shape: try #require(entry["shape"] as? [Int]),
            f32Bits: (entry["f32_bits"] as? [NSNumber])?.map(\.uint32Value),
            ints: (entry["ints"] as? [NSNumber])?.map(\.int64Value))
    }
    return result
}

func expectedJSON() throws -> [String: Any] {
    let data = try Data(contentsOf: try pytorchFixture("expected.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// Checks that `file` holds exactly the expected tensors with bit-identical values.
func expectMatches(
    _ file: CheckpointFile, _ expected: [String: ExpectedTensor], sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(file.names == expected.keys.sorted(by: SafeTensorsHeader.byteOrder), sourceLocation: sourceLocation)
    try #require(!expected.isEmpty, "the fixture has no tensors", sourceLocation: sourceLocation)
    for (name, entry) in expected {
        #expect(try file.dtype(of: name) == entry.dtype, "\(name)", sourceLocation: sourceLocation)
        #expect(try file.shape(of: name) == entry.shape, "\(name)", sourceLocation: sourceLocation)
        let tensor = try file.tensor(name)
        #expect(tensor.shape == entry.shape, "\(name)", sourceLocation: sourceLocation)
        if let bits = entry.f32Bits {
            #expect(tensor.values.map(\.bitPattern) == bits, "\(name)", sourceLocation: sourceLocation)
        } else if let ints = entry.ints {
            #expect(try file.integers(name) == ints, "\(name)", sourceLocation: sourceLocation)
            #expect(tensor.values == ints.map(Float.init), "\(name)", sourceLocation: sourceLocation)
        }
    }
}

// MARK: - Hand-made archives

/// The bytes of a zip archive of STORED entries, as a minimal writer would produce them.
///
/// With `zip64`, every size and offset in the central directory is saturated (`0xFFFFFFFF`) and
/// given in a ZIP64 extra field, and a ZIP64 end record and locator precede the classic one
/// (which PyTorch also writes). `crcOverride` replaces the CRC of the named entry.
func storedZip(_ entries: [(name: String, data: [UInt8])], zip64: Bool = false, crcOverride: [String: UInt32] = [:])
    -> [UInt8]
{
    var out: [UInt8] = []
    var directory: [UInt8] = []
    func u16(_ v: Int, _ b: inout [UInt8]) { b += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func u32(_ v: UInt32, _ b: inout [UInt8]) { for i in 0..<4 { b.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
    func u64(_ v: UInt64, _ b: inout [UInt8]) { for i in 0..<8 { b.append(UInt8((v >> (8 * UInt64(i))) & 0xFF)) } }
    for (name, data) in entries {
        let offset = out.count
        let crc = crcOverride[name] ?? data.withUnsafeBytes { CRC32.checksum($0) }
        let nameBytes = Array(name.utf8)
        u32(0x0403_4B50, &out)
        u16(20, &out)
        u16(0, &out)
        u16(0, &out)
        u16(0, &out)
        u16(0, &out)
        u32(crc, &out)
        u32(UInt32(data.count), &out)
        u32(UInt32(data.count), &out)
        u16(nameBytes.count, &out)
        u16(0, &out)
        out += nameBytes + data

        var extra: [UInt8] = []
        if zip64 {
            u16(1, &extra)
            u16(24, &extra)
            u64(UInt64(data.count), &extra)
            u64(UInt64(data.count), &extra)
            u64(UInt64(offset), &extra)
        }
        u32(0x0201_4B50, &directory)
        u16(45, &directory)
        u16(45, &directory)
        u16(0, &directory)
        u16(0, &directory)
        u16(0, &directory)
        u16(0, &directory)
        u32(crc, &directory)
        let size = zip64 ? 0xFFFF_FFFF : UInt32(data.count)
        u32(size, &directory)
        u32(size, &directory)
        u16(nameBytes.count, &directory)
        u16(extra.count, &directory)
        u16(0, &directory)
        u16(0, &directory)
        u16(0, &directory)
        u32(0, &directory)
        u32(zip64 ? 0xFFFF_FFFF : UInt32(offset), &directory)
        directory += nameBytes + extra
    }
    let directoryOffset = out.count
    out += directory
    if zip64 {
        let recordOffset = out.count
        u32(0x0606_4B50, &out)
        u64(44, &out)
        u16(45, &out)
        u16(45, &out)
        u32(0, &out)
        u32(0, &out)
        u64(UInt64(entries.count), &out)
        u64(UInt64(entries.count), &out)
        u64(UInt64(directory.count), &out)
        u64(UInt64(directoryOffset), &out)
        u32(0x0706_4B50, &out)
        u32(0, &out)
        u64(UInt64(recordOffset), &out)
        u32(1, &out)
    }
    u32(0x0605_4B50, &out)
    u16(0, &out)
    u16(0, &out)
    u16(zip64 ? 0xFFFF : entries.count, &out)
    u16(zip64 ? 0xFFFF : entries.count, &out)
    u32(zip64 ? 0xFFFF_FFFF : UInt32(directory.count), &out)
    u32(zip64 ? 0xFFFF_FFFF : UInt32(directoryOffset), &out)
    u16(0, &out)
    return out
}

/// A `torch.save`-style archive: `archive/data.pkl`, `archive/byteorder` and `archive/data/<key>`.
func torchArchive(pickle: [UInt8], storages: [(key: String, data: [UInt8])], zip64: Bool = false) -> [UInt8] {
    var entries: [(name: String, data: [UInt8])] = [
        ("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8)),
    ]
    for (key, data) in storages { entries.append(("archive/data/\(key)", data)) }
    entries.append(("archive/version", Array("3\n".utf8)))
    return storedZip(entries, zip64: zip64)
}

// MARK: - Hand-made pickles

/// Protocol-2 pickle fragments, spelled as `torch.save` spells them.
enum Pickle {
    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        let n = UInt32(bytes.count)
        return [0x58, UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)] + bytes
    }

    static func int(_ value: Int) -> [UInt8] {
        if (0..<256).contains(value) { return [0x4B, UInt8(value)] }
        let v = UInt32(bitPattern: Int32(value))
        return [0x4A, UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }

    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }

    static let mark: [UInt8] = [0x28]
    static let emptyTuple: [UInt8] = [0x29]
    static let reduce: [UInt8] = [0x52]
    static let newFalse: [UInt8] = [0x89]
    static let stop: [UInt8] = [0x2E]

    /// `('storage', torch.<storageClass>, key, 'cpu', numel)` followed by `BINPERSID`.
    static func persistentID(_ storageClass: String, key: String, numel: Int) -> [UInt8] {
        tuple([string("storage"), global("torch", storageClass), string(key), string("cpu"), int(numel)]) + [0x51]
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`.
    static func tensor(
        _ storageClass: String = "FloatStorage", key: String, numel: Int, offset: Int = 0, size: [Int], stride: [Int],
        persistent: [UInt8]? = nil
    ) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2")
            + tuple([
                persistent ?? persistentID(storageClass, key: key, numel: numel), int(offset), tuple(size.map(int)),
                tuple(stride.map(int)), newFalse, global("collections", "OrderedDict") + emptyTuple + reduce,
            ]) + reduce
    }

    /// `OrderedDict` of `items` (already pickled values), then `STOP`.
    static func stateDict(_ items: [(String, [UInt8])]) -> [UInt8] {
        [0x80, 0x02] + global("collections", "OrderedDict") + emptyTuple + reduce
            + mark + items.flatMap { string($0.0) + $0.1 } + [0x75] + stop
    }
}

/// The little-endian bytes of f32 values (for storages).
func floatStorage(_ values: [Float]) -> [UInt8] { f32Bytes(values) }

/// Writes `bytes` to a fresh file and opens it as a PyTorch checkpoint, returning the error.
func binError(_ bytes: [UInt8], named name: String = "hand.bin") throws -> CheckpointError? {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = try writeFile(bytes, named: name, in: folder)
    return checkpointError { _ = try PyTorchBinFile(url: url).tensors() }
}
