import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxCheckpoints

/// The URL of a file in `Tests/DetoxCheckpointsTests/Fixtures/crc/` (written by
/// `Scripts/fixtures/make_crc_fixtures.py`).
private func crcFixture(_ name: String) throws -> URL {
    let folder = try #require(Bundle.module.url(forResource: "crc", withExtension: nil, subdirectory: "Fixtures"))
    let url = folder.appendingPathComponent(name)
    try #require(FileManager.default.fileExists(atPath: url.path), "missing fixture crc/\(name)")
    return url
}

private func crcExpected() throws -> [String: Any] {
    let data = try Data(contentsOf: try crcFixture("expected.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The byte offset of the first byte of the `weight` storage in fixture `name`.
private func weightOffset(_ name: String) throws -> Int {
    let files = try #require(try crcExpected()["files"] as? [String: [String: Any]])
    return try #require(files[name]?["weight_data_offset"] as? Int)
}

/// The bytes of fixture `name` with bit 6 of the byte at `offset` flipped (as the script's
/// `torch.load` check flipped it).
private func flipped(_ name: String, at offset: Int) throws -> [UInt8] {
    var bytes = [UInt8](try Data(contentsOf: try crcFixture(name)))
    try #require(offset < bytes.count)
    bytes[offset] ^= 0x40
    return bytes
}

/// The f32 bit patterns of `weight` as saved.
private func expectedWeightBits() throws -> [UInt32] {
    let tensors = try #require(try crcExpected()["tensors"] as? [String: [String: Any]])
    let bits = try #require(tensors["weight"]?["f32_bits"] as? [NSNumber]).map(\.uint32Value)
    try #require(bits.count == 32)
    return bits
}

@Suite("PyTorch .bin integrity: CRC-32 of every entry, bounded inflation")
struct PyTorchBinIntegrityTests {
    @Test("archives saved with and without CRCs load the saved values")
    func cleanFilesLoad() throws {
        let bits = try expectedWeightBits()
        for name in ["crc_on.bin", "crc_off.bin"] {
            let file = try PyTorchBinFile(url: try crcFixture(name))
            #expect(file.names == ["bias", "ids", "weight"], "\(name)")
            #expect(try file.tensor("weight").values.map(\.bitPattern) == bits, "\(name)")
            #expect(try file.integers("ids") == [0, 1, 2, 3, 4, 5], "\(name)")
        }
    }

    @Test("a flipped byte in a stored tensor is a CRC-32 error naming the entry")
    func flippedStorageRefused() throws {
        let bytes = try flipped("crc_on.bin", at: try weightOffset("crc_on.bin"))
        let error = try binError(bytes, named: "damaged.bin")
        guard case .invalidArchive(let file, let reason) = error else {
            Issue.record("expected invalidArchive, got \(String(describing: error))")
            return
        }
        #expect(file.hasSuffix("damaged.bin"))
        #expect(reason.contains("'archive/data/0'") && reason.contains("CRC-32 mismatch"), "\(reason)")
    }

    @Test("an archive written with CRCs off loads even when damaged, as torch.load does")
    func crcOffAccepted() throws {
        let expected = try crcExpected()
        let files = try #require(expected["files"] as? [String: [String: Any]])
        // The script recorded that torch.load reads both damaged copies (its miniz skips CRCs).
        #expect(files["crc_off.bin"]?["torch_load_flipped"] as? String == "loaded (weight changed)")
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let url = try writeFile(
            try flipped("crc_off.bin", at: try weightOffset("crc_off.bin")), named: "off.bin", in: folder)
        let file = try PyTorchBinFile(url: url)
        let bits = try expectedWeightBits()
        let loaded = try file.tensor("weight").values.map(\.bitPattern)
        try #require(loaded.count == bits.count)
        #expect(loaded[0] != bits[0])
        #expect(Array(loaded[1...]) == Array(bits[1...]))
    }

    @Test("a data.pkl declaring more than the pickle ceiling is refused before inflating")
    func pickleBombRefused() throws {
        let error = checkpointError { _ = try PyTorchBinFile(url: try crcFixture("pickle_bomb.bin")) }
        guard case .invalidArchive(_, let reason) = error else {
            Issue.record("expected invalidArchive, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("'bomb/data.pkl'"), "\(reason)")
        #expect(reason.contains("\(PyTorchBinFile.maximumPickleBytes)"), "\(reason)")
    }

    @Test("a deflated entry longer than its declared size is refused")
    func overlongStreamRefused() throws {
        let error = checkpointError { _ = try PyTorchBinFile(url: try crcFixture("pickle_overlong.bin")) }
        guard case .invalidArchive(_, let reason) = error else {
            Issue.record("expected invalidArchive, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("'archive/data.pkl'") && reason.contains("exceeds the expected size"), "\(reason)")
    }

    @Test("slicing-by-8 CRC-32 equals the bytewise definition at every length and alignment")
    func crcMatchesBytewise() throws {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0) } == 0)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<100).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in start...bytes.count {
                let slice = Array(bytes[start..<end])
                #expect(slice.withUnsafeBytes { CRC32.checksum($0) } == Self.bytewise(slice), "\(start)..<\(end)")
            }
        }
    }

    @Test("CRC-32 of a 100 MiB entry: value and cost")
    func crcOfHundredMegabytes() throws {
        let count = 100 << 20
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        var crc: UInt32 = 0
        // Thread CPU time, not wall time: the figure should not depend on what else the machine runs.
        let start = Self.threadSeconds()
        crc = bytes.withUnsafeBytes { CRC32.checksum($0) }
        let seconds = Self.threadSeconds() - start
        #expect(crc == Self.bytewise(bytes))
        print(
            "CRC-32 of 100 MiB: \(String(format: "%.1f", seconds * 1000)) ms (\(String(format: "%.2f", 100 / 1024 / seconds)) GiB/s)"
        )
    }

    private static func threadSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// The CRC-32 one bit at a time, straight from the definition.
    private static func bytewise(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return ~crc
    }
}

@Suite("PyTorch .bin: the pickle ceiling bounds what a hostile pickle can allocate")
struct PyTorchBinPickleCeilingTests {
    /// The peak resident memory of this process so far, in KiB (`VmHWM`), where Linux reports it.
    static func peakKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }

    @Test("a data.pkl of EMPTY_LIST opcodes just under the ceiling stops at the value budget; one past it is not read")
    func emptyListFlood() throws {
        let flood = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: PyTorchBinFile.maximumPickleBytes - 2)
        let before = Self.peakKiB()
        let error = try binError(storedZip([("archive/data.pkl", flood)]), named: "flood.bin")
        guard case .invalidPickle(_, _, let reason) = error else {
            Issue.record("expected invalidPickle, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("more than \(RestrictedUnpickler.maximumValues) values"), "\(reason)")
        if let before, let after = Self.peakKiB() {
            print(
                "peak memory before/after a \(flood.count)-byte EMPTY_LIST pickle: \(before / 1024) / \(after / 1024) MiB"
            )
        }
        let tooLong = flood + [0x2E]
        let refused = try binError(storedZip([("archive/data.pkl", tooLong)]), named: "long.bin")
        guard case .invalidArchive(_, let message) = refused else {
            Issue.record("expected invalidArchive, got \(String(describing: refused))")
            return
        }
        #expect(message.contains("more than the \(PyTorchBinFile.maximumPickleBytes) allowed"), "\(message)")
    }
}
