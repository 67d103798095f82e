import DetoxCheckpoints
import DetoxTensor
import DetoxTestFiles
import Foundation
import Testing

// MARK: - Corrupt and unusual files

@Suite("safetensors validation")
struct SafeTensorsValidationTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    /// Writes a hand-made file and returns the error opening it throws.
    private func openError(
        header: String, data: [UInt8] = [], pad: Bool = true, declaredLength: UInt64? = nil
    ) throws -> (path: String, error: CheckpointError?) {
        let bytes = safetensorsBytes(header: header, data: data, pad: pad, declaredLength: declaredLength)
        let url = try writeFile(bytes, named: "\(UUID().uuidString).safetensors", in: folder)
        return (url.path, checkpointError { _ = try SafeTensorsFile(url: url) })
    }

    // MARK: Truncation

    @Test("a truncated file names the first tensor whose data is cut off")
    func truncatedFile() throws {
        defer { folder.cleanUp() }
        let bytes = [UInt8](try Data(contentsOf: try fixtureURL("python_written", "safetensors")))
        let url = try writeFile(Array(bytes.dropLast(3)), named: "cut.safetensors", in: folder)
        let error = checkpointError { _ = try SafeTensorsFile(url: url) }
        // The last tensor in offset order is `bool.mask` (6 bytes at the end).
        #expect(
            error
                == .truncated(
                    file: url.path, tensor: "bool.mask", expectedBytes: bytes.count, actualBytes: bytes.count - 3))

        for length in [0, 5] {
            let short = try writeFile(Array(bytes.prefix(length)), named: "short\(length).safetensors", in: folder)
            #expect(
                checkpointError { _ = try SafeTensorsFile(url: short) }
                    == .truncated(file: short.path, tensor: nil, expectedBytes: 8, actualBytes: length))
        }
        let noData = try writeFile(Array(bytes.prefix(200)), named: "header-cut.safetensors", in: folder)
        guard case .truncated(_, nil, let expected, 200)? = checkpointError({ _ = try SafeTensorsFile(url: noData) })
        else {
            Issue.record("a file cut inside its header must report truncation")
            return
        }
        #expect(expected > 200)
    }

    @Test("a header length larger than the file is truncation")
    func headerLengthLargerThanFile() throws {
        defer { folder.cleanUp() }
        let (path, error) = try openError(
            header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: f32Bytes([1]),
            declaredLength: 1000)
        #expect(error == .truncated(file: path, tensor: nil, expectedBytes: 1008, actualBytes: 8 + 56 + 4))
    }

    @Test("data offsets beyond the data buffer in a self-consistent header are truncation")
    func offsetsOutOfBounds() throws {
        defer { folder.cleanUp() }
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        let (path, error) = try openError(header: header, data: f32Bytes([1, 2]))
        let headerBytes = (header.utf8.count + 7) / 8 * 8
        #expect(
            error
                == .truncated(
                    file: path, tensor: "b", expectedBytes: 8 + headerBytes + 16, actualBytes: 8 + headerBytes + 8))

        let far = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4611686018427387904,4611686018427387908]}}"#
        guard case .invalidEntry(_, "a", _)? = try openError(header: far, data: f32Bytes([1])).error else {
            Issue.record("offsets far beyond the buffer must be rejected")
            return
        }
    }

    // MARK: Header

    @Test("garbage headers are invalid headers")
    func garbageHeaders() throws {
        defer { folder.cleanUp() }
        for header in ["{not json!!", "[1, 2, 3]", "\"just a string\"", "", "   ", "{\"a\": "] {
            let (path, error) = try openError(header: header)
            guard case .invalidHeader(let file, _)? = error else {
                Issue.record("header \(header.debugDescription) gave \(String(describing: error))")
                continue
            }
            #expect(file == path)
        }
        // Invalid UTF-8.
        var bytes = safetensorsBytes(header: #"{"__metadata__":{"ab":"cd"}}"#, data: [])
        bytes[27] = 0xFF
        let url = try writeFile(bytes, named: "utf8.safetensors", in: folder)
        guard case .invalidHeader? = checkpointError({ _ = try SafeTensorsFile(url: url) }) else {
            Issue.record("invalid UTF-8 must be an invalid header")
            return
        }
    }

    @Test("a header length above 100,000,000 is refused before reading it")
    func headerTooLarge() throws {
        defer { folder.cleanUp() }
        for length: UInt64 in [100_000_001, .max] {
            let (path, error) = try openError(header: "{}", declaredLength: length)
            #expect(error == .headerTooLarge(file: path, headerBytes: length, limit: 100_000_000))
        }
    }

    @Test("an empty header object is an empty file")
    func emptyHeader() throws {
        defer { folder.cleanUp() }
        let url = try writeFile(safetensorsBytes(header: "{}", data: []), named: "empty.safetensors", in: folder)
        let file = try SafeTensorsFile(url: url)
        #expect(file.names.isEmpty)
        #expect(file.metadata.isEmpty)
        #expect(try file.tensors().isEmpty)
    }

    @Test("leading whitespace padding and an unaligned data buffer are accepted")
    func unalignedData() throws {
        defer { folder.cleanUp() }
        var header =
            #"  {"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"h":{"dtype":"F16","shape":[1],"data_offsets":[12,14]}}"#
        while header.utf8.count % 4 != 1 { header = " " + header } // data starts at an odd offset
        let url = try writeFile(
            safetensorsBytes(header: header, data: f32Bytes([1.5, -0.0, .infinity]) + [0x00, 0x3C], pad: false),
            named: "unaligned.safetensors", in: folder)
        let file = try SafeTensorsFile(url: url)
        #expect(try file.tensor("x").values.map(\.bitPattern) == [Float(1.5), -0.0, .infinity].map(\.bitPattern))
        #expect(try file.tensor("h").values == [1])
    }

    // MARK: Entries

    @Test("overlapping data offsets are an invalid entry")
    func overlappingOffsets() throws {
        defer { folder.cleanUp() }
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let (path, error) = try openError(header: header, data: f32Bytes([1, 2, 3]))
        guard case .invalidEntry(path, "b", let reason)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason.contains("overlap"))
    }

    @Test("a hole in the data buffer is an invalid entry; uncovered trailing bytes an invalid header")
    func holeInBuffer() throws {
        defer { folder.cleanUp() }
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#
        let (path, error) = try openError(header: header, data: f32Bytes([1, 2, 0, 3, 4]))
        guard case .invalidEntry(path, "b", let reason)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason.contains("hole"))

        let trailing = try openError(
            header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: f32Bytes([1, 2, 3]))
        guard case .invalidHeader(trailing.path, _)? = trailing.error else {
            Issue.record("got \(String(describing: trailing.error))")
            return
        }
    }

    @Test("a byte length that does not match the shape is reported with both counts")
    func wrongByteLength() throws {
        defer { folder.cleanUp() }
        let (path, error) = try openError(
            header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: f32Bytes([1, 2]))
        #expect(error == .byteLengthMismatch(file: path, tensor: "w", expectedBytes: 12, actualBytes: 8))
    }

    @Test("an unknown dtype is unsupported")
    func unknownDType() throws {
        defer { folder.cleanUp() }
        let (path, error) = try openError(
            header: #"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 16))
        #expect(error == .unsupportedDType(file: path, tensor: "w", dtype: "F128"))
    }

    @Test("metadata values must be strings")
    func nonStringMetadata() throws {
        defer { folder.cleanUp() }
        let (path, error) = try openError(header: #"{"__metadata__":{"format":"pt","step":5}}"#)
        guard case .invalidValue(path, "__metadata__.step", _)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        let list = try openError(header: #"{"__metadata__":["pt"]}"#)
        #expect({ if case .invalidValue(_, "__metadata__", _)? = list.error { return true } else { return false } }())
    }

    @Test(
        "malformed entries are invalid entries naming the tensor",
        arguments: [
            #"{"t":[1,2]}"#,
            #"{"t":{"shape":[1],"data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F32","data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F32","shape":[1]}}"#,
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#,
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}"#,
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#,
            #"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F32","shape":[9223372036854775807],"data_offsets":[0,4]}}"#,
            #"{"t":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#,
        ])
    func malformedEntries(header: String) throws {
        defer { folder.cleanUp() }
        let (path, error) = try openError(header: header, data: f32Bytes([1]))
        guard case .invalidEntry(path, "t", _)? = error else {
            Issue.record("\(header) gave \(String(describing: error))")
            return
        }
    }

    // MARK: Accessors

    @Test("accessors report missing tensors and unloadable dtypes")
    func accessorErrors() throws {
        defer { folder.cleanUp() }
        let header = """
            {"f8":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]},\
            "w":{"dtype":"F32","shape":[1],"data_offsets":[2,6]},\
            "big":{"dtype":"U64","shape":[1],"data_offsets":[6,14]}}
            """
        let data = [1, 2] + f32Bytes([7]) + Array(repeating: 0xFF, count: 8)
        let url = try writeFile(safetensorsBytes(header: header, data: data), named: "f8.safetensors", in: folder)
        let file = try SafeTensorsFile(url: url)
        #expect(file.names == ["big", "f8", "w"])
        #expect(try file.info("f8").shape == [2])
        #expect(
            checkpointError { _ = try file.tensor("f8") }
                == .unsupportedDType(file: url.path, tensor: "f8", dtype: "F8_E4M3"))
        #expect(
            checkpointError { _ = try file.tensors() }
                == .unsupportedDType(file: url.path, tensor: "f8", dtype: "F8_E4M3"))
        #expect(checkpointError { _ = try file.tensor("nope") } == .missingTensor(file: url.path, tensor: "nope"))
        #expect(
            checkpointError { _ = try file.integers("w") }
                == .dtypeMismatch(file: url.path, tensor: "w", expected: "an integer or BOOL dtype", actual: "F32"))
        guard case .invalidEntry(_, "big", _)? = checkpointError({ _ = try file.integers("big") }) else {
            Issue.record("U64 above Int64.max must be refused")
            return
        }
        #expect(try file.tensor("w").values == [7])
    }

    @Test("a missing file or a folder is an I/O error naming the path")
    func ioErrors() throws {
        defer { folder.cleanUp() }
        let missing = folder.file("absent.safetensors")
        guard case .io(missing.path, _)? = checkpointError({ _ = try SafeTensorsFile(url: missing) }) else {
            Issue.record("a missing file must be an I/O error")
            return
        }
        guard case .io(folder.url.path, _)? = checkpointError({ _ = try SafeTensorsFile(url: folder.url) }) else {
            Issue.record("a folder must be an I/O error")
            return
        }
    }

    @Test("error descriptions name the file and the tensor")
    func descriptions() {
        let error = CheckpointError.byteLengthMismatch(
            file: "/m.safetensors", tensor: "w", expectedBytes: 12, actualBytes: 8)
        #expect(error.description.contains("/m.safetensors"))
        #expect(error.description.contains("'w'"))
        #expect(error.description.contains("12") && error.description.contains("8"))
        #expect(
            CheckpointError.truncated(file: "/f", tensor: "b", expectedBytes: 9, actualBytes: 3).description.contains(
                "'b'"))
    }
}
