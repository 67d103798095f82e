// MARK: - CheckpointError

/// Errors raised while reading or writing checkpoint files (safetensors, PyTorch `.bin`,
/// `config.json`).
///
/// Every case names the file it is about, and where it applies the tensor or key, so a message
/// can be acted on without a debugger. Nothing a file contains reaches a trap: malformed input
/// always ends in one of these cases.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: File access

    /// The file could not be opened, mapped, read, written or renamed.
    case io(file: String, reason: String)
    /// The file ends before the data it announces. `tensor` is the first tensor whose bytes are
    /// missing, or `nil` when the file ends inside the length prefix or the header.
    case truncated(file: String, tensor: String?, expectedBytes: Int, actualBytes: Int)

    // MARK: Header

    /// The header is not a valid JSON object of the expected form.
    case invalidHeader(file: String, reason: String)
    /// The header length prefix exceeds the format's limit.
    case headerTooLarge(file: String, headerBytes: UInt64, limit: Int)
    /// A non-tensor value (a `__metadata__` entry, a configuration key) has the wrong form.
    case invalidValue(file: String, key: String, reason: String)

    // MARK: Tensors

    /// A tensor's description (dtype, shape, offsets) is malformed or inconsistent.
    case invalidEntry(file: String, tensor: String, reason: String)
    /// A tensor's stored byte count differs from what its dtype and shape need.
    case byteLengthMismatch(file: String, tensor: String, expectedBytes: Int, actualBytes: Int)
    /// The dtype is unknown, or known but not loadable by the requested accessor.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// The tensor's dtype is not of the kind the accessor returns (integers asked of floats).
    case dtypeMismatch(file: String, tensor: String, expected: String, actual: String)
    /// The tensor was asked for but the file does not hold it.
    case missingTensor(file: String, tensor: String)

    // MARK: PyTorch `.bin` archives

    /// The zip container is malformed: no end-of-central-directory record (a truncated or
    /// non-zip file), a directory that points outside the file, an unsupported compression
    /// method or flag, a CRC mismatch, or a missing `data.pkl`.
    case invalidArchive(file: String, reason: String)
    /// The file is a pre-1.6 `torch.save` file (a bare pickle stream, not a zip), which is not
    /// read: re-save it with a current PyTorch or convert it to safetensors.
    case legacyTorchFormat(file: String)
    /// The pickle names a global outside the allow-list (`builtins.eval`, `posix.system`, ...).
    /// Nothing is ever called; the file is refused at the opcode that names it.
    case disallowedGlobal(file: String, global: String)
    /// The pickle stream is malformed or uses something the restricted reader does not support:
    /// an unknown opcode, a stack underflow, a missing memo entry or mark, a bad argument.
    case invalidPickle(file: String, offset: Int, reason: String)
    /// A tensor record is inconsistent: a bad persistent id, an unknown storage class, a negative
    /// size or stride, a missing `data/<key>` entry. `tensor` is the state-dict key when known.
    case invalidStorage(file: String, tensor: String?, reason: String)
    /// A tensor's size, stride and offset reach past the end of its storage.
    case storageTooSmall(file: String, tensor: String, storage: String, requiredElements: Int, availableElements: Int)

    // MARK: Model folders

    /// None of the weight files a model folder may hold exists.
    case missingWeights(folder: String, lookedFor: [String])
    /// A sharded checkpoint's `*.index.json` is malformed.
    case invalidIndex(file: String, reason: String)

    // MARK: Description

    public var description: String {
        switch self {
        case .io(let file, let reason):
            return "\(file): \(reason)"
        case .truncated(let file, let tensor, let expected, let actual):
            let which = tensor.map { " (data of tensor '\($0)' is cut off)" } ?? ""
            return "\(file): file is truncated: needs \(expected) bytes, has \(actual)\(which)"
        case .invalidHeader(let file, let reason):
            return "\(file): invalid header: \(reason)"
        case .headerTooLarge(let file, let headerBytes, let limit):
            return "\(file): header length \(headerBytes) exceeds the limit of \(limit) bytes"
        case .invalidValue(let file, let key, let reason):
            return "\(file): invalid value for '\(key)': \(reason)"
        case .invalidEntry(let file, let tensor, let reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case .byteLengthMismatch(let file, let tensor, let expected, let actual):
            return "\(file): tensor '\(tensor)': dtype and shape need \(expected) bytes, data_offsets span \(actual)"
        case .unsupportedDType(let file, let tensor, let dtype):
            return "\(file): tensor '\(tensor)': unsupported dtype '\(dtype)'"
        case .dtypeMismatch(let file, let tensor, let expected, let actual):
            return "\(file): tensor '\(tensor)': expected \(expected), found dtype '\(actual)'"
        case .missingTensor(let file, let tensor):
            return "\(file): no tensor named '\(tensor)'"
        case .invalidArchive(let file, let reason):
            return "\(file): not a readable PyTorch zip checkpoint: \(reason)"
        case .legacyTorchFormat(let file):
            return "\(file): legacy (pre-1.6, non-zip) torch.save format is not supported; "
                + "re-save it with torch.save in PyTorch >= 1.6 or convert it to safetensors"
        case .disallowedGlobal(let file, let global):
            return "\(file): pickle refers to '\(global)', which a state dict never needs; refusing to load it"
        case .invalidPickle(let file, let offset, let reason):
            return "\(file): data.pkl byte \(offset): \(reason)"
        case .invalidStorage(let file, let tensor, let reason):
            let which = tensor.map { " tensor '\($0)':" } ?? ""
            return "\(file):\(which) \(reason)"
        case .storageTooSmall(let file, let tensor, let storage, let required, let available):
            return "\(file): tensor '\(tensor)': size, stride and offset need \(required) elements "
                + "of storage '\(storage)', which holds \(available)"
        case .missingWeights(let folder, let lookedFor):
            return "\(folder): no model weights found (looked for \(lookedFor.joined(separator: ", ")))"
        case .invalidIndex(let file, let reason):
            return "\(file): invalid sharded-checkpoint index: \(reason)"
        }
    }
}
