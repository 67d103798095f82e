import DetoxCheckpoints
import DetoxTestFiles
import Foundation
import Testing

// MARK: - Fixtures

/// The URL of a committed fixture in `Tests/DetoxCheckpointsTests/Fixtures/`.
func fixtureURL(_ name: String, _ ext: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
}

/// The source folder of the committed fixtures (for regenerating them).
let sourceFixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// Parses a committed JSON fixture as an object.
func fixtureJSON(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: try fixtureURL(name, "json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

// MARK: - Hand-made files

/// The bytes of a safetensors file with the given header text and data buffer.
///
/// The header is padded with spaces to a multiple of 8 unless `pad` is false; `declaredLength`
/// replaces the true header length in the prefix.
func safetensorsBytes(header: String, data: [UInt8], pad: Bool = true, declaredLength: UInt64? = nil) -> [UInt8] {
    var headerBytes = Array(header.utf8)
    while pad && headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    let length = declaredLength ?? UInt64(headerBytes.count)
    let prefix = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
    return prefix + headerBytes + data
}

/// Writes `bytes` to `name` in `folder` and returns its URL.
func writeFile(_ bytes: [UInt8], named name: String, in folder: TemporaryFolder) throws -> URL {
    let url = folder.file(name)
    try Data(bytes).write(to: url)
    return url
}

/// The little-endian bytes of f32 values.
func f32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt32($0))) } }
}

/// The `CheckpointError` that `body` throws, or `nil` when it throws nothing (or something else).
func checkpointError(_ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        return nil
    } catch let error as CheckpointError {
        return error
    } catch {
        return nil
    }
}

/// 64-bit FNV-1a of `bytes` as 16 hex digits (the fixture script records the same hash).
func fnv1a64(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
