import FuzzSupport

@testable import DetoxCheckpoints

/// libFuzzer entry: the input is a whole `pytorch_model.bin` (a zip archive). The archive's
/// directory is read and every entry extracted (stored or inflated, CRC checked); then the file is
/// opened as a checkpoint and every tensor read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(start, count)
    bytes.withUnsafeBytes { buffer in
        guard let archive = try? ZipArchive(path: "pytorch_model.bin", bytes: buffer) else { return }
        for name in archive.names {
            guard let entry = archive.entries[name] else { continue }
            _ = try? archive.contents(entry, limit: 1 << 26)
        }
    }
    let url = FuzzInput.file("pytorch_model.bin", bytes)
    guard let file = try? PyTorchBinFile(url: url) else { return 0 }
    for name in file.names {
        _ = try? file.tensor(name)
        _ = try? file.integers(name)
    }
    return 0
}
