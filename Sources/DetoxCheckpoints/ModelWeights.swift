import DetoxTensor
import Foundation

// MARK: - CheckpointFile

/// One weights file of either format, opened for reading.
public enum CheckpointFile: Sendable {
    case safetensors(SafeTensorsFile)
    case pytorch(PyTorchBinFile)

    /// Opens `url` as a PyTorch zip checkpoint when it starts with `PK\x03\x04` or is named
    /// `.bin`, `.pt`, `.pth` or `.ckpt` (so a legacy file gets its own error), and as safetensors
    /// otherwise.
    public init(url: URL) throws {
        if Self.startsWithZipSignature(url) || ["bin", "pt", "pth", "ckpt"].contains(url.pathExtension.lowercased()) {
            self = .pytorch(try PyTorchBinFile(url: url))
        } else {
            self = .safetensors(try SafeTensorsFile(url: url))
        }
    }

    private static func startsWithZipSignature(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 4) else { return false }
        return Array(head) == [0x50, 0x4B, 0x03, 0x04]
    }

    /// Where the file was opened from.
    public var url: URL {
        switch self {
        case .safetensors(let file): return file.url
        case .pytorch(let file): return file.url
        }
    }

    /// The tensor names, in byte order of their UTF-8 spelling.
    public var names: [String] {
        switch self {
        case .safetensors(let file): return file.names
        case .pytorch(let file): return file.names
        }
    }

    public func contains(_ name: String) -> Bool {
        switch self {
        case .safetensors(let file): return file.contains(name)
        case .pytorch(let file): return file.contains(name)
        }
    }

    /// The stored element type of the tensor called `name`.
    public func dtype(of name: String) throws -> SafeTensorsDType {
        switch self {
        case .safetensors(let file): return try file.info(name).dtype
        case .pytorch(let file): return try file.info(name).dtype
        }
    }

    /// The shape of the tensor called `name`.
    public func shape(of name: String) throws -> [Int] {
        switch self {
        case .safetensors(let file): return try file.info(name).shape
        case .pytorch(let file): return try file.info(name).shape
        }
    }

    /// The tensor called `name` as f32 values (see ``SafeTensorsFile/tensor(_:)``).
    public func tensor(_ name: String) throws -> Tensor {
        switch self {
        case .safetensors(let file): return try file.tensor(name)
        case .pytorch(let file): return try file.tensor(name)
        }
    }

    /// The integer or BOOL tensor called `name` as `Int64`s.
    public func integers(_ name: String) throws -> [Int64] {
        switch self {
        case .safetensors(let file): return try file.integers(name)
        case .pytorch(let file): return try file.integers(name)
        }
    }

    /// Every floating-point tensor as f32, by name (integer tensors are left out).
    public func tensors() throws -> [String: Tensor] {
        switch self {
        case .safetensors(let file): return try file.tensors()
        case .pytorch(let file): return try file.tensors()
        }
    }
}

// MARK: - ModelWeights

/// The weights of a Hugging Face model folder, in whichever of the four layouts `transformers`
/// writes, or of a single weights file.
///
/// ```swift
/// let weights = try ModelWeights.load(folder: modelFolder)   // [String: Tensor], floats only
/// let opened = try ModelWeights(folder: modelFolder)          // for integer buffers as well
/// let positions = try opened.integers("electra.embeddings.position_ids")
/// ```
///
/// A folder is searched in the order `transformers` uses (`modeling_utils.py`, with safetensors
/// preferred): ``fileNames``. A sharded checkpoint's index (`{"metadata": {...}, "weight_map":
/// {key: shard}}`) is read, each shard it names is opened once, and every key it maps must be in
/// its shard; only mapped keys are exposed.
public struct ModelWeights: Sendable {
    /// The weight files a model folder is searched for, most preferred first.
    public static let fileNames = [
        "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
    ]

    /// The file that was opened: the weights file, or the index of a sharded checkpoint.
    public let source: URL
    /// The tensor names, in byte order of their UTF-8 spelling.
    public let names: [String]
    /// The files holding the tensors (one, or the shards in index order).
    public let files: [CheckpointFile]

    /// Which of ``files`` holds each tensor.
    private let fileIndex: [String: Int]

    // MARK: Opening

    /// Opens the weights of the model folder at `folder` (see ``fileNames``).
    ///
    /// - Throws: ``CheckpointError/missingWeights(folder:lookedFor:)`` when none of the files
    ///   exists; otherwise what opening the chosen file throws.
    public init(folder: URL) throws {
        try self.init(file: try Self.weightsFile(in: folder))
    }

    /// Opens one weights file: a safetensors file, a PyTorch `.bin`, or a sharded checkpoint's
    /// `*.index.json`.
    public init(file url: URL) throws {
        source = url
        if url.lastPathComponent.hasSuffix(".index.json") {
            let (files, fileIndex) = try Self.openSharded(index: url)
            self.files = files
            self.fileIndex = fileIndex
        } else {
            let file = try CheckpointFile(url: url)
            files = [file]
            fileIndex = Dictionary(uniqueKeysWithValues: file.names.map { ($0, 0) })
        }
        names = fileIndex.keys.sorted(by: SafeTensorsHeader.byteOrder)
    }

    /// The file of the model folder `folder` that ``init(folder:)`` would open.
    public static func weightsFile(in folder: URL) throws -> URL {
        for name in fileNames {
            let candidate = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue
            {
                return candidate
            }
        }
        throw CheckpointError.missingWeights(folder: folder.path, lookedFor: fileNames)
    }

    /// Every floating-point tensor of the model folder, as f32, by name.
    public static func load(folder: URL) throws -> [String: Tensor] {
        try ModelWeights(folder: folder).tensors()
    }

    /// Every floating-point tensor of one weights file (safetensors, `.bin`, or `*.index.json`),
    /// as f32, by name.
    public static func loadFile(url: URL) throws -> [String: Tensor] {
        try ModelWeights(file: url).tensors()
    }

    // MARK: Access

    public func contains(_ name: String) -> Bool { fileIndex[name] != nil }

    /// The file holding the tensor called `name`.
    public func file(holding name: String) throws -> CheckpointFile {
        guard let index = fileIndex[name] else { throw CheckpointError.missingTensor(file: source.path, tensor: name) }
        return files[index]
    }

    /// The tensor called `name` as f32 values.
    public func tensor(_ name: String) throws -> Tensor { try file(holding: name).tensor(name) }

    /// The integer or BOOL tensor called `name` (a `position_ids` buffer) as `Int64`s.
    public func integers(_ name: String) throws -> [Int64] { try file(holding: name).integers(name) }

    /// The stored element type of the tensor called `name`.
    public func dtype(of name: String) throws -> SafeTensorsDType { try file(holding: name).dtype(of: name) }

    /// Every floating-point tensor as f32, by name. Integer and BOOL tensors are left out (see
    /// ``integers(_:)``).
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names where try dtype(of: name).isFloatingPoint {
            result[name] = try tensor(name)
        }
        return result
    }

    /// The names of the integer and BOOL tensors.
    public func integerNames() throws -> [String] {
        try names.filter { try dtype(of: $0).isInteger }
    }

    // MARK: Sharded checkpoints

    private static func openSharded(index url: URL) throws -> ([CheckpointFile], [String: Int]) {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CheckpointError.io(file: path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CheckpointError.invalidIndex(file: path, reason: "not a JSON object")
        }
        guard let map = root["weight_map"] as? [String: Any] else {
            throw CheckpointError.invalidIndex(file: path, reason: "no \"weight_map\" object")
        }
        var shardOrder: [String] = []
        var keysByShard: [String: [String]] = [:]
        for key in map.keys.sorted(by: SafeTensorsHeader.byteOrder) {
            guard let shard = map[key] as? String else {
                throw CheckpointError.invalidIndex(file: path, reason: "the shard of '\(key)' is not a string")
            }
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != ".", shard != ".." else {
                throw CheckpointError.invalidIndex(file: path, reason: "shard name '\(shard)' is not a plain file name")
            }
            if keysByShard[shard] == nil { shardOrder.append(shard) }
            keysByShard[shard, default: []].append(key)
        }
        shardOrder.sort(by: SafeTensorsHeader.byteOrder)
        let folder = url.deletingLastPathComponent()
        var files: [CheckpointFile] = []
        var fileIndex: [String: Int] = [:]
        for shard in shardOrder {
            let shardURL = folder.appendingPathComponent(shard)
            let file = try CheckpointFile(url: shardURL)
            for key in keysByShard[shard]! {
                guard file.contains(key) else { throw CheckpointError.missingTensor(file: shardURL.path, tensor: key) }
                fileIndex[key] = files.count
            }
            files.append(file)
        }
        return (files, fileIndex)
    }
}
