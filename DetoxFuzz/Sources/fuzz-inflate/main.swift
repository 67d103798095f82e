import FuzzSupport

@testable import DetoxCheckpoints

/// libFuzzer entry: two bytes (little-endian) give the expected output size, the rest is a raw
/// DEFLATE stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInflate(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(start, count)
    guard bytes.count >= 2 else { return 0 }
    let expected = Int(bytes[0]) | Int(bytes[1]) << 8
    let stream = Array(bytes[2...])
    stream.withUnsafeBytes { buffer in
        if let output = try? Inflate.decompress(buffer, expectedCount: expected) {
            _ = output.withUnsafeBytes { CRC32.checksum($0) }
        }
    }
    return 0
}
