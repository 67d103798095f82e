import DetoxCheckpoints
import DetoxTensor
import DetoxTestFiles
import Foundation
import Testing

// MARK: - Python → Swift and Swift → Python

@Suite("safetensors fixtures shared with Python")
struct SafeTensorsFixtureTests {
    /// PyTorch dtype names (as the fixture JSON spells them) → safetensors dtypes.
    static let dtypes: [String: SafeTensorsDType] = [
        "float32": .f32, "float16": .f16, "bfloat16": .bf16, "float64": .f64,
        "int64": .i64, "int32": .i32, "int8": .i8, "uint8": .u8, "bool": .bool,
    ]

    @Test("a file written by Python loads with identical values")
    func pythonWrittenFileLoads() throws {
        let expected = try fixtureJSON("python_written")
        let file = try SafeTensorsFile(url: try fixtureURL("python_written", "safetensors"))
        let tensors = try #require(expected["tensors"] as? [String: [String: Any]])

        #expect(file.metadata == expected["metadata"] as? [String: String])
        #expect(file.names == tensors.keys.sorted())

        try #require(!tensors.isEmpty, "the fixture has no tensors")
        for (name, entry) in tensors.sorted(by: { $0.key < $1.key }) {
            let info = try file.info(name)
            let dtypeName = try #require(entry["dtype"] as? String)
            let dtype = try #require(Self.dtypes[dtypeName])
            let shape = try #require(entry["shape"] as? [Int])
            #expect(info.dtype == dtype, "\(name)")
            #expect(info.shape == shape, "\(name)")

            let loaded = try file.tensor(name)
            #expect(loaded.shape == shape, "\(name)")
            if dtype.isFloatingPoint {
                // Bit-exact: f32 copied, f16/bf16 widened exactly, f64 rounded to nearest.
                let bits = try #require(entry["f32_bits"] as? [NSNumber]).map(\.uint32Value)
                #expect(loaded.values.map(\.bitPattern) == bits, "\(name)")
                if dtype != .f32 {
                    let width = dtype.bitSize / 8
                    let stored = try #require(entry["stored_bits"] as? [NSNumber]).map(\.uint64Value)
                    let raw = try file.withRawBytes(of: name) { bytes in
                        (0..<(bytes.count / width)).map { index in
                            (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[index * width + $1]) << (8 * UInt64($1)) }
                        }
                    }
                    #expect(raw == stored, "\(name)")
                }
                let values = try #require(entry["values"] as? [Any])
                for (value, number) in zip(loaded.values, values) {
                    switch number {
                    case let text as String where text == "nan": #expect(value.isNaN, "\(name)")
                    case let text as String: #expect(value == (text == "inf" ? .infinity : -.infinity), "\(name)")
                    case let number as NSNumber where dtype != .f64:
                        #expect(value == Float(number.doubleValue), "\(name)")
                    default: break
                    }
                }
            } else {
                let values = try #require(entry["values"] as? [NSNumber]).map(\.int64Value)
                #expect(try file.integers(name) == values, "\(name)")
                #expect(loaded.values == values.map(Float.init), "\(name)")
            }
        }

        let floats = try file.tensors()
        #expect(
            floats.keys.sorted() == [
                "bf16.values", "empty", "f16.values", "f32.random", "f32.special", "f64.values", "scalar",
            ])
        #expect(try file.tensor("scalar").shape == [])
        #expect(try file.tensor("scalar").item == 3.5)
        #expect(try file.tensor("empty").shape == [0, 3])
        #expect(try file.integers("i64.ids") == [0, 1, -1, 9_007_199_254_740_993, 32099, .min, .max, 101])
    }

    @Test("the committed Python check read the committed Swift-written files and found them equal")
    func pythonCheckOfSwiftWrittenFiles() throws {
        let check = try fixtureJSON("swift_written_python_check")
        #expect(check["all_matched"] as? Bool == true)
        #expect(check["reader"] as? String == "safetensors.torch.load_file")
        let files = try #require(check["files"] as? [String: [String: Any]])
        #expect(Set(files.keys) == Set(SwiftWrittenFixture.files.map { "\($0.name).safetensors" }))
        for (name, _) in SwiftWrittenFixture.files {
            let entry = try #require(files["\(name).safetensors"])
            let bytes = [UInt8](try Data(contentsOf: try fixtureURL(name, "safetensors")))
            #expect(entry["matched"] as? Bool == true, "\(name)")
            #expect(entry["problems"] as? [Any] != nil && (entry["problems"] as? [Any])?.isEmpty == true, "\(name)")
            // The check is about exactly the bytes committed next to it.
            #expect(entry["bytes"] as? Int == bytes.count, "\(name)")
            #expect(entry["fnv1a64"] as? String == fnv1a64(bytes), "\(name)")
            let tensors = try #require(entry["tensors"] as? [String: Any])
            #expect(Set(tensors.keys) == Set(SwiftWrittenFixture.tensors.keys), "\(name)")
            #expect(entry["metadata"] as? [String: String] == SwiftWrittenFixture.metadata, "\(name)")
        }
    }

    /// Writes the Swift-written fixtures and compares them with the committed bytes, so the
    /// Python check above speaks for what this writer produces today.
    ///
    /// `DETOX_REGENERATE_FIXTURES=1 swift test --filter CheckpointsTests` rewrites the committed
    /// files instead; then run `Scripts/fixtures/make_safetensors_fixtures.py`.
    @Test("the writer still produces the committed Swift-written files byte for byte")
    func swiftWrittenFilesMatchCommittedBytes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let regenerate = ProcessInfo.processInfo.environment["DETOX_REGENERATE_FIXTURES"] == "1"
        for (name, type) in SwiftWrittenFixture.files {
            let url = folder.file("\(name).safetensors")
            try SafeTensors.write(
                SwiftWrittenFixture.tensors, metadata: SwiftWrittenFixture.metadata, dtype: type, to: url)
            let written = try Data(contentsOf: url)
            if regenerate {
                try written.write(to: sourceFixturesFolder.appendingPathComponent("\(name).safetensors"))
                continue
            }
            let committed = try Data(contentsOf: try fixtureURL(name, "safetensors"))
            #expect(written == committed, "\(name).safetensors differs from the committed fixture")
        }
    }

    @Test("the Swift-written files read back here as written")
    func swiftWrittenFilesReadBack() throws {
        for (name, type) in SwiftWrittenFixture.files {
            let file = try SafeTensorsFile(url: try fixtureURL(name, "safetensors"))
            #expect(file.metadata == SwiftWrittenFixture.metadata)
            for (tensorName, tensor) in SwiftWrittenFixture.tensors {
                #expect(try file.info(tensorName).dtype == type.dtype)
                let loaded = try file.tensor(tensorName)
                #expect(loaded.shape == tensor.shape)
                let expected = tensor.values.map { value -> UInt32 in
                    switch type {
                    case .f32: return value.bitPattern
                    case .f16:
                        return HalfPrecision.float32Bits(
                            fromFloat16Bits: HalfPrecision.float16Bits(fromFloat32Bits: value.bitPattern))
                    case .bf16:
                        return HalfPrecision.float32Bits(
                            fromBFloat16Bits: HalfPrecision.bfloat16Bits(fromFloat32Bits: value.bitPattern))
                    }
                }
                #expect(loaded.values.map(\.bitPattern) == expected, "\(name) \(tensorName)")
            }
        }
    }
}
