import DetoxTensor
import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxCheckpoints

// MARK: - Hand-made archives and pickles

@Suite("PyTorch .bin: hand-made archives and pickles")
struct PyTorchBinHandMadeTests {
    /// A valid one-tensor checkpoint: `w` = [[1, 2, 3], [4, 5, 6]] in storage "0".
    static func good(zip64: Bool = false) -> [UInt8] {
        torchArchive(
            pickle: Pickle.stateDict([("w", Pickle.tensor(key: "0", numel: 6, size: [2, 3], stride: [3, 1]))]),
            storages: [("0", floatStorage([1, 2, 3, 4, 5, 6]))], zip64: zip64)
    }

    @Test("a minimal archive loads, classic and ZIP64 directories alike", arguments: [false, true])
    func minimal(zip64: Bool) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let url = try writeFile(Self.good(zip64: zip64), named: "good.bin", in: folder)
        let file = try PyTorchBinFile(url: url)
        #expect(file.names == ["w"])
        #expect(try file.tensor("w").values == [1, 2, 3, 4, 5, 6])
        #expect(try file.tensor("w").shape == [2, 3])
    }

    @Test("non-tensor values of a state dict are skipped: numbers, strings, lists, nested dicts, devices")
    func nonTensorValuesSkipped() throws {
        let extras: [UInt8] =
            [0x7D] + Pickle.mark + Pickle.string("k") + [0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0] // 1.5
            + Pickle.string("list") + [0x5D] + Pickle.mark + Pickle.int(1) + [0x4E, 0x88] + [0x65] + [0x75]
        let pickle = Pickle.stateDict([
            ("epoch", Pickle.int(3)),
            ("w", Pickle.tensor(key: "0", numel: 6, size: [3], stride: [2], persistent: nil)),
            ("meta", extras),
            ("device", Pickle.global("torch", "device") + Pickle.tuple([Pickle.string("cpu")]) + Pickle.reduce),
            ("neg", [0x8A, 0x02, 0x00, 0x80]), // LONG1 -32768
        ])
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let url = try writeFile(
            torchArchive(pickle: pickle, storages: [("0", floatStorage([1, 2, 3, 4, 5, 6]))]), named: "x.bin",
            in: folder)
        let file = try PyTorchBinFile(url: url)
        #expect(file.names == ["w"])
        #expect(try file.tensor("w").values == [1, 3, 5])
    }

    @Test("_rebuild_parameter and _rebuild_from_type_v2 wrappers are unwrapped")
    func wrappers() throws {
        let inner = Pickle.tensor(key: "0", numel: 2, size: [2], stride: [1])
        let parameter =
            Pickle.global("torch._utils", "_rebuild_parameter")
            + Pickle.tuple([
                inner, Pickle.newFalse, Pickle.global("collections", "OrderedDict") + Pickle.emptyTuple + Pickle.reduce,
            ])
            + Pickle.reduce
        let fromType =
            Pickle.global("torch._tensor", "_rebuild_from_type_v2")
            + Pickle.tuple([
                Pickle.global("torch._utils", "_rebuild_tensor_v2"), Pickle.global("torch.nn.parameter", "Parameter"),
                Pickle.tuple([
                    Pickle.persistentID("FloatStorage", key: "0", numel: 2), Pickle.int(1),
                    Pickle.tuple([Pickle.int(1)]),
                    Pickle.tuple([Pickle.int(1)]), Pickle.newFalse,
                    Pickle.global("collections", "OrderedDict") + Pickle.emptyTuple + Pickle.reduce,
                ]),
                [0x7D],
            ]) + Pickle.reduce
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let bytes = torchArchive(
            pickle: Pickle.stateDict([("p", parameter), ("t", fromType)]), storages: [("0", floatStorage([7, 8]))])
        let file = try PyTorchBinFile(url: try writeFile(bytes, named: "w.bin", in: folder))
        #expect(try file.tensor("p").values == [7, 8])
        #expect(try file.tensor("t").values == [8])
    }

    // MARK: Refusals

    /// The pickle error of a stream, with its reason.
    static func pickleReason(_ pickle: [UInt8], storages: [(key: String, data: [UInt8])] = []) throws -> String? {
        let error = try binError(torchArchive(pickle: pickle, storages: storages))
        guard case .invalidPickle(_, _, let reason) = error else {
            Issue.record("expected invalidPickle, got \(String(describing: error))")
            return nil
        }
        return reason
    }

    @Test(
        "disallowed globals are refused whether or not they are called",
        arguments: [
            ("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"), ("torch", "load"),
            ("collections", "defaultdict"),
            ("torch._utils", "_rebuild_qtensor"), ("torch", "ComplexFloatStorage"),
        ])
    func disallowedGlobal(_ module: String, _ name: String) throws {
        let call = Pickle.global(module, name) + Pickle.tuple([Pickle.string("echo pwned")]) + Pickle.reduce
        let error = try binError(torchArchive(pickle: Pickle.stateDict([("x", call)]), storages: []))
        guard case .disallowedGlobal(_, let global) = error else {
            Issue.record("expected disallowedGlobal, got \(String(describing: error))")
            return
        }
        #expect(global == "\(module).\(name)")
        // STACK_GLOBAL spells the same thing.
        let stacked: [UInt8] =
            [0x80, 0x04, 0x8C, UInt8(module.utf8.count)] + Array(module.utf8)
            + [0x8C, UInt8(name.utf8.count)] + Array(name.utf8) + [0x93, 0x2E]
        let error4 = try binError(torchArchive(pickle: stacked, storages: []))
        #expect(error4.map { if case .disallowedGlobal(_, global) = $0 { true } else { false } } == true)
    }

    @Test(
        "malformed pickles are typed errors",
        arguments: [
            ([0x80, 0x02, 0x49, 0x31, 0x0A, 0x2E] as [UInt8], "unsupported opcode 0x49"), // INT (protocol 0)
            ([0x80, 0x02, 0xFF, 0x2E], "unsupported opcode 0xff"),
            ([0x80, 0x02, 0x52, 0x2E], "stack underflow"), // REDUCE on an empty stack
            ([0x80, 0x02, 0x68, 0x05, 0x2E], "memo entry 5"), // BINGET of nothing
            ([0x80, 0x02, 0x74, 0x2E], "no MARK"), // TUPLE without MARK
            ([0x80, 0x02, 0x7D], "without STOP"),
            ([0x80, 0x02, 0x58, 0xFF, 0, 0, 0, 0x61], "ends inside"), // BINUNICODE longer than the stream
            ([0x80, 0x06, 0x2E], "protocol 6"),
            ([0x80, 0x02, 0x4E, 0x2E], "not a state dict"), // None
            ([0x80, 0x02, 0x4B, 0x01, 0x4B, 0x02, 0x2E], "STOP leaves values"),
            ([0x80, 0x02, 0x4B, 0x01, 0x29, 0x52, 0x2E], "cannot call a int"),
        ])
    func malformedPickle(_ pickle: [UInt8], _ reason: String) throws {
        let message = try Self.pickleReason(pickle)
        #expect(message?.contains(reason) == true, "\(message ?? "nil")")
    }

    @Test("hostile nesting and recursive structures are refused, not recursed into")
    func nestingLimits() throws {
        // A million TUPLE1s: a value a million levels deep if built.
        let deep: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        #expect(try Self.pickleReason(deep)?.contains("nest deeper") == true)
        // A million BINPERSIDs wrapping each other.
        let persistent: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x51, count: 1_000_000) + [0x2E]
        #expect(try Self.pickleReason(persistent)?.contains("nest deeper") == true)
        // Lists appended into lists, a thousand deep.
        let lists: [UInt8] =
            [0x80, 0x02] + [UInt8](repeating: 0x5D, count: 1000) + [UInt8](repeating: 0x61, count: 999) + [0x2E]
        #expect(try Self.pickleReason(lists)?.contains("nest deeper") == true)
        // l = []; l.append(l): BINPUT 0, BINGET 0, APPEND.
        let cycle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
        #expect(try Self.pickleReason(cycle)?.contains("recursive") == true)
        // d = {}; x = [d]; d['k'] = 1 (a dict changed after being nested).
        let late: [UInt8] = [
            0x80, 0x02, 0x7D, 0x71, 0x00, 0x85, 0x68, 0x00, 0x58, 1, 0, 0, 0, 0x6B, 0x4B, 0x01, 0x73, 0x2E,
        ]
        #expect(try Self.pickleReason(late)?.contains("recursive") == true)
    }

    @Test("randomly damaged copies of a real checkpoint fail with CheckpointError or load, never crash")
    func fuzzedFixtures() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        var generator = SeededGenerator(seed: 20_251_129)
        for name in ["tiny_model.bin", "tiny_model_deflated.bin", "tiny_model_protocol4.bin"] {
            let original = [UInt8](try Data(contentsOf: try pytorchFixture(name)))
            for round in 0..<150 {
                var bytes = original
                let flips = 1 + Int(generator.next() % 4)
                for _ in 0..<flips {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
                let url = try writeFile(bytes, named: "fuzz-\(round).bin", in: folder)
                do {
                    let file = try PyTorchBinFile(url: url)
                    for tensorName in file.names {
                        if try file.info(tensorName).dtype.isInteger {
                            _ = try file.integers(tensorName)
                        } else {
                            _ = try file.tensor(tensorName)
                        }
                    }
                } catch is CheckpointError {
                    // expected for most damage
                } catch {
                    Issue.record("\(name) round \(round): unexpected error \(error)")
                }
            }
        }
    }

    @Test("a storage class cannot be called, and _rebuild_tensor_v2 needs its arguments")
    func badCalls() throws {
        let callStorage = Pickle.global("torch", "FloatStorage") + Pickle.emptyTuple + Pickle.reduce
        #expect(
            try Self.pickleReason(Pickle.stateDict([("x", callStorage)]))?.contains("cannot call torch.FloatStorage")
                == true)
        let short = Pickle.global("torch._utils", "_rebuild_tensor_v2") + Pickle.tuple([Pickle.int(1)]) + Pickle.reduce
        #expect(try Self.pickleReason(Pickle.stateDict([("x", short)]))?.contains("at least 4") == true)
    }

    /// The storage error of a one-tensor checkpoint `w`.
    static func storageError(_ tensor: [UInt8], storages: [(key: String, data: [UInt8])]) throws -> CheckpointError? {
        try binError(torchArchive(pickle: Pickle.stateDict([("w", tensor)]), storages: storages))
    }

    @Test("bad persistent ids name the tensor")
    func badPersistentID() throws {
        let four =
            Pickle.tuple([
                Pickle.string("storage"), Pickle.global("torch", "FloatStorage"), Pickle.string("0"),
                Pickle.string("cpu"),
            ]) + [0x51]
        let notStorage =
            Pickle.tuple([
                Pickle.string("module"), Pickle.global("torch", "FloatStorage"), Pickle.string("0"),
                Pickle.string("cpu"), Pickle.int(2),
            ]) + [0x51]
        let plain = Pickle.int(0) // no BINPERSID at all
        for pid in [four, notStorage, plain] {
            let error = try Self.storageError(
                Pickle.tensor(key: "0", numel: 2, size: [2], stride: [1], persistent: pid),
                storages: [("0", floatStorage([1, 2]))])
            guard case .invalidStorage(_, let tensor, _) = error else {
                Issue.record("expected invalidStorage, got \(String(describing: error))")
                continue
            }
            #expect(tensor == "w")
        }
    }

    @Test("a missing data/<key> entry names the tensor and the entry")
    func missingStorageEntry() throws {
        let error = try Self.storageError(
            Pickle.tensor(key: "7", numel: 2, size: [2], stride: [1]), storages: [("0", floatStorage([1, 2]))])
        guard case .invalidStorage(_, "w", let reason) = error else {
            Issue.record("expected invalidStorage, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("archive/data/7"))
    }

    @Test("size, stride and offset that reach past the storage are storageTooSmall")
    func spanPastStorage() throws {
        // [2, 3] with stride [3, 1] from offset 2 needs 8 elements of a 6-element storage.
        let error = try Self.storageError(
            Pickle.tensor(key: "0", numel: 6, offset: 2, size: [2, 3], stride: [3, 1]),
            storages: [("0", floatStorage([1, 2, 3, 4, 5, 6]))])
        guard case .storageTooSmall(_, "w", _, 8, 6) = error else {
            Issue.record("expected storageTooSmall(8, 6), got \(String(describing: error))")
            return
        }
        // The persistent id claims 6 elements but the entry holds 4.
        let short = try Self.storageError(
            Pickle.tensor(key: "0", numel: 6, size: [6], stride: [1]), storages: [("0", floatStorage([1, 2, 3, 4]))])
        guard case .storageTooSmall(_, "w", _, 6, 4) = short else {
            Issue.record("expected storageTooSmall(6, 4), got \(String(describing: short))")
            return
        }
        // Mismatched size and stride ranks.
        let ranks = try Self.storageError(
            Pickle.tensor(key: "0", numel: 6, size: [2, 3], stride: [1]),
            storages: [("0", floatStorage([1, 2, 3, 4, 5, 6]))])
        guard case .invalidStorage(_, "w", _) = ranks else {
            Issue.record("expected invalidStorage, got \(String(describing: ranks))")
            return
        }
    }

    @Test("one storage used as two dtypes is refused")
    func storageDTypeConflict() throws {
        let pickle = Pickle.stateDict([
            ("a", Pickle.tensor("FloatStorage", key: "0", numel: 2, size: [2], stride: [1])),
            ("b", Pickle.tensor("IntStorage", key: "0", numel: 2, size: [2], stride: [1])),
        ])
        let error = try binError(torchArchive(pickle: pickle, storages: [("0", floatStorage([1, 2]))]))
        guard case .invalidStorage(_, "b", _) = error else {
            Issue.record("expected invalidStorage, got \(String(describing: error))")
            return
        }
    }

    // MARK: Archives

    @Test("damaged archives are invalidArchive, never a crash")
    func damagedArchives() throws {
        let good = Self.good()
        var cases: [(String, [UInt8])] = []
        for cut in stride(from: 4, to: good.count, by: 7) { cases.append(("cut at \(cut)", Array(good.prefix(cut)))) }
        var badCRC = good
        // Flip a byte of the pickle (local data starts after the 30-byte header and the name).
        badCRC[30 + "archive/data.pkl".utf8.count + 3] ^= 0xFF
        cases.append(("pickle CRC", badCRC))
        var badDirectory = good
        // Point the directory offset of the end record past the end of the file.
        badDirectory[badDirectory.count - 6] = 0xFF
        badDirectory[badDirectory.count - 5] = 0xFF
        cases.append(("directory offset", badDirectory))
        let noPickle = storedZip([("archive/data/0", [1, 2, 3, 4])])
        cases.append(("no data.pkl", noPickle))
        for (label, bytes) in cases {
            let error = try binError(bytes)
            guard case .invalidArchive = error else {
                Issue.record("\(label): expected invalidArchive, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test("files that are not zips: legacy pickles and tars, other bytes, empty files")
    func notZip() throws {
        let legacyPickle: [UInt8] = [
            0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
        ]
        #expect(try binError(legacyPickle).map { if case .legacyTorchFormat = $0 { true } else { false } } == true)
        var tar = [UInt8](repeating: 0, count: 1024)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        #expect(try binError(tar).map { if case .legacyTorchFormat = $0 { true } else { false } } == true)
        for bytes in [[UInt8](), Array("{\"not\": \"zip\"}".utf8)] {
            let error = try binError(bytes)
            guard case .invalidArchive = error else {
                Issue.record("expected invalidArchive, got \(String(describing: error))")
                continue
            }
        }
    }
}
