import FuzzSupport

@testable import DetoxCheckpoints

/// libFuzzer entry: the input is a `data.pkl` stream for the restricted unpickler.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    var unpickler = RestrictedUnpickler(file: "data.pkl", data: FuzzInput.bytes(start, count))
    _ = try? unpickler.load()
    return 0
}
