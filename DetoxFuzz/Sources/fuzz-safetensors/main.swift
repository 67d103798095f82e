import DetoxCheckpoints
import FuzzSupport

/// libFuzzer entry: the input is a whole `.safetensors` file. Opening it parses and checks the
/// header; every tensor is then read (as floats, and as integers where the dtype allows).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let url = FuzzInput.file("model.safetensors", FuzzInput.bytes(start, count))
    guard let file = try? SafeTensorsFile(url: url) else { return 0 }
    _ = file.metadata
    for name in file.names {
        _ = try? file.info(name)
        _ = try? file.tensor(name)
        _ = try? file.integers(name)
    }
    return 0
}
