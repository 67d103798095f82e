import DetoxCheckpoints
import DetoxFiles
import DetoxTensor
import DetoxTestFiles
import Foundation
import Testing

// MARK: - Writing

@Suite("safetensors writing")
struct SafeTensorsWriterTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    static func randomTensors() -> [String: Tensor] {
        var generator = SeededGenerator(seed: 7)
        return [
            "encoder.weight": Tensor.randomNormal([3, 4, 5], std: 3, generator: &generator),
            "bias": Tensor.randomUniform([7], low: -1e-3, high: 1e-3, generator: &generator),
            "scalar": Tensor(scalar: -0.0),
            "empty": Tensor([], shape: [2, 0]),
        ]
    }

    @Test("f32 round trip is bit-exact, with sorted contiguous layout and an 8-byte aligned header")
    func f32RoundTrip() throws {
        defer { folder.cleanUp() }
        let tensors = Self.randomTensors()
        let url = folder.file("model.safetensors")
        try SafeTensors.write(tensors, metadata: ["format": "pt"], to: url)

        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        #expect(headerLength % 8 == 0)
        #expect(bytes[8] == UInt8(ascii: "{"))

        let file = try SafeTensorsFile(url: url)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.names == ["bias", "empty", "encoder.weight", "scalar"])
        var offset = 0
        for info in file.infos {
            #expect(info.dataOffsets.lowerBound == offset, "tensors are laid out in name order")
            offset = info.dataOffsets.upperBound
        }
        #expect(8 + headerLength + offset == bytes.count)
        for (name, tensor) in tensors {
            let loaded = try file.tensor(name)
            #expect(loaded.shape == tensor.shape)
            #expect(loaded.values.map(\.bitPattern) == tensor.values.map(\.bitPattern), "\(name)")
        }
    }

    @Test("f16 and bf16 writing rounds to nearest even", arguments: [SafeTensors.StorageType.f16, .bf16])
    func narrowedRoundTrip(type: SafeTensors.StorageType) throws {
        defer { folder.cleanUp() }
        let tensors = Self.randomTensors()
        let url = folder.file("half.safetensors")
        try SafeTensors.write(tensors, dtype: type, to: url)
        let file = try SafeTensorsFile(url: url)
        for (name, tensor) in tensors {
            #expect(try file.info(name).dtype == type.dtype)
            let stored = try file.withRawBytes(of: name) { bytes in
                (0..<(bytes.count / 2)).map { UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8 }
            }
            let expected = tensor.values.map { value in
                type == .f16
                    ? HalfPrecision.float16Bits(fromFloat32Bits: value.bitPattern)
                    : HalfPrecision.bfloat16Bits(fromFloat32Bits: value.bitPattern)
            }
            #expect(stored == expected, "\(name)")
            // Reading widens exactly what was stored, so the error is at most half an ulp.
            for (loaded, original) in zip(try file.tensor(name).values, tensor.values) {
                let ulp: Float = type == .f16 ? 0x1p-10 : 0x1p-7
                #expect(abs(loaded - original) <= max(abs(original) * ulp, 0x1p-24))
            }
        }
    }

    @Test("metadata and names needing JSON escapes survive")
    func escaping() throws {
        defer { folder.cleanUp() }
        let name = "tab\there \"quoted\" back\\slash \u{1} ünï"
        let url = folder.file("escape.safetensors")
        try SafeTensors.write([name: Tensor([1, 2])], metadata: ["k\"ey": "line\nbreak"], to: url)
        let file = try SafeTensorsFile(url: url)
        #expect(file.names == [name])
        #expect(file.metadata == ["k\"ey": "line\nbreak"])
        #expect(try file.tensor(name).values == [1, 2])
    }

    @Test("a tensor called __metadata__ is refused")
    func reservedName() throws {
        defer { folder.cleanUp() }
        let url = folder.file("bad.safetensors")
        guard
            case .invalidEntry(_, "__metadata__", _)? = checkpointError({
                try SafeTensors.write(["__metadata__": Tensor([1])], to: url)
            })
        else {
            Issue.record("the reserved name must be refused")
            return
        }
        #expect(try folder.contents().isEmpty)
    }

    // MARK: Atomicity

    @Test("writing over an existing file replaces it whole and leaves no temporary file")
    func overwriteReplacesWhole() throws {
        defer { folder.cleanUp() }
        let url = folder.file("model.safetensors")
        try SafeTensors.write(["big": Tensor(Array(repeating: 1, count: 4096))], metadata: ["v": "1"], to: url)
        let opened = try SafeTensorsFile(url: url)
        try SafeTensors.write(["small": Tensor([2, 3])], metadata: ["v": "2"], to: url)

        let file = try SafeTensorsFile(url: url)
        #expect(file.names == ["small"])
        #expect(file.metadata == ["v": "2"])
        #expect(try file.tensor("small").values == [2, 3])
        #expect(try folder.contents() == ["model.safetensors"])
        // A reader that had the old file open still sees the old file (rename, not rewrite).
        #expect(try opened.tensor("big").values.count == 4096)
    }

    @Test("a write into a missing folder throws an I/O error and creates nothing")
    func writeIntoMissingFolder() throws {
        defer { folder.cleanUp() }
        let missing = folder.url.appendingPathComponent("no-such-folder")
        let url = missing.appendingPathComponent("model.safetensors")
        guard case .io(url.path, _)? = checkpointError({ try SafeTensors.write(["x": Tensor([1])], to: url) }) else {
            Issue.record("expected an I/O error naming the destination")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: missing.path))
        #expect(try folder.contents().isEmpty)
    }

    @Test("a write that fails midway leaves the old file and no temporary file")
    func failureMidwayKeepsOldFile() throws {
        defer { folder.cleanUp() }
        struct Interrupted: Error {}
        let url = folder.file("model.safetensors")
        try SafeTensors.write(["x": Tensor([1, 2, 3])], to: url)
        let before = try Data(contentsOf: url)
        #expect(throws: Interrupted.self) {
            try AtomicFileWriter.write(to: url) { writer in
                try writer.write([1, 2, 3, 4])
                throw Interrupted()
            }
        }
        #expect(try Data(contentsOf: url) == before)
        #expect(try folder.contents() == ["model.safetensors"])
    }
}
