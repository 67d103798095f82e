import DetoxTensor
import Foundation
import Testing

@testable import DetoxCheckpoints

// MARK: - Files written by torch.save

@Suite("PyTorch .bin fixtures written by torch.save")
struct PyTorchBinFixtureTests {
    @Test(
        "every good fixture loads with values bit-identical to PyTorch's",
        arguments: [
            "tiny_model.bin", "tiny_model_protocol4.bin", "tiny_model_deflated.bin", "strided.bin",
            "tiny_model.safetensors",
        ])
    func fixtureLoads(_ name: String) throws {
        let file = try CheckpointFile(url: try pytorchFixture(name))
        if name.hasSuffix(".bin") {
            guard case .pytorch = file else {
                Issue.record("\(name) did not open as a PyTorch file")
                return
            }
        }
        try expectMatches(file, try expectedTensors(of: name))
    }

    @Test("the tiny model: tied weights share one storage, integer and bool buffers, f16, bf16, f64")
    func tinyModel() throws {
        let file = try PyTorchBinFile(url: try pytorchFixture("tiny_model.bin"))
        let embed = try file.info("embed.weight")
        let head = try file.info("head.weight")
        #expect(embed.storageKey == head.storageKey)
        #expect(embed.shape == [10, 4] && head.shape == [10, 4])
        #expect(try file.tensor("embed.weight").values == (try file.tensor("head.weight").values))

        #expect(try file.info("position_ids").dtype == .i64)
        #expect(try file.integers("position_ids") == Array(0..<8))
        #expect(try file.info("position_ids").shape == [1, 8])
        #expect(try file.integers("mask") == [1, 0, 1])
        #expect(try file.info("half_proj.weight").dtype == .f16)
        #expect(try file.info("bf_norm.weight").dtype == .bf16)
        #expect(try file.info("scale").dtype == .f64)
        #expect(try file.tensor("scale").shape == [])
        #expect(try file.tensor("scale").item == Float(0.1 as Double))
        #expect(try file.tensor("half_proj.weight").values.prefix(3) == [65504, 0x1p-24, -0.0])

        let floats = try file.tensors()
        #expect(floats["position_ids"] == nil && floats["mask"] == nil)
        #expect(floats.count == file.names.count - 2)
        let error = checkpointError { _ = try file.integers("proj.weight") }
        guard case .dtypeMismatch(_, "proj.weight", _, "F32") = error else {
            Issue.record("integers of a float tensor: \(String(describing: error))")
            return
        }
    }

    @Test("strided views: transposed, offset slices, columns, stride-0 expansion, 0-d and empty")
    func strided() throws {
        let file = try PyTorchBinFile(url: try pytorchFixture("strided.bin"))
        let base = try file.tensor("base").values // [3, 4]
        let transposed = try file.info("transposed")
        #expect(transposed.stride == [1, 4] && !transposed.isContiguous)
        #expect(transposed.storageKey == (try file.info("base")).storageKey)
        let t = try file.tensor("transposed")
        #expect(t.shape == [4, 3])
        for i in 0..<4 { for j in 0..<3 { #expect(t.values[i * 3 + j] == base[j * 4 + i]) } }

        #expect(try file.info("rows").storageOffset == 4)
        #expect(try file.tensor("rows").values == Array(base[4..<12]))
        #expect(try file.tensor("column").values == [base[2], base[6], base[10]])
        #expect(try file.info("expanded").stride == [0, 1])
        #expect(try file.tensor("expanded").values == [2.5, 3, 3.5, 2.5, 3, 3.5])
        #expect(try file.tensor("element").shape == [] && (try file.tensor("element").item) == 3.5)
        #expect(try file.tensor("block").values == [4, 4.5, 5, 7, 7.5, 8])
        #expect(try file.tensor("block_t").values == [4, 7, 4.5, 7.5, 5, 8])
        #expect(try file.tensor("empty").shape == [0, 3] && (try file.tensor("empty").count) == 0)
        #expect(try file.integers("long_t") == [0, 3, 1, 4, 2, 5])
    }

    @Test("the .bin and the safetensors file of the same model load identical weights")
    func bothFormatsAgree() throws {
        let bin = try ModelWeights(file: try pytorchFixture("tiny_model.bin"))
        let safe = try ModelWeights(file: try pytorchFixture("tiny_model.safetensors"))
        #expect(bin.names == safe.names)
        let a = try bin.tensors()
        let b = try safe.tensors()
        #expect(a.keys.sorted() == b.keys.sorted())
        try #require(!a.isEmpty, "the fixture has no tensors")
        for (name, tensor) in a {
            #expect(tensor.shape == b[name]?.shape, "\(name)")
            #expect(tensor.values.map(\.bitPattern) == b[name]?.values.map(\.bitPattern), "\(name)")
        }
        for name in try bin.integerNames() {
            #expect(try bin.integers(name) == (try safe.integers(name)), "\(name)")
        }
        #expect(try bin.integerNames() == ["mask", "position_ids"])
    }

    @Test("the deflated re-pack reads like the stored original")
    func deflatedMatchesStored() throws {
        let stored = try PyTorchBinFile(url: try pytorchFixture("tiny_model.bin"))
        let deflated = try PyTorchBinFile(url: try pytorchFixture("tiny_model_deflated.bin"))
        #expect(stored.infos == deflated.infos)
        try #require(!stored.names.isEmpty, "the fixture has no tensors")
        for name in stored.names {
            #expect(
                try stored.tensor(name).values.map(\.bitPattern) == (try deflated.tensor(name).values.map(\.bitPattern))
            )
        }
    }

    @Test("torch writes ZIP64 archives with 64-byte-aligned storages, and they are read as such")
    func zip64Layout() throws {
        let url = try pytorchFixture("tiny_model.bin")
        let mapping = try MappedFile(path: url.path)
        let archive = try ZipArchive(path: url.path, bytes: mapping.bytes)
        let bytes = Array(mapping.bytes)
        #expect(
            bytes.indices.dropLast(4).contains {
                bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 6 && bytes[$0 + 3] == 6
            })
        let storages = archive.names.filter { $0.contains("/data/") }
        #expect(!storages.isEmpty)
        for name in storages { #expect(archive.entries[name]!.dataOffset % 64 == 0, "\(name)") }
    }
}

// MARK: - Bad files

@Suite("PyTorch .bin fixtures that must be refused")
struct PyTorchBinBadFixtureTests {
    @Test("a pickle calling os.system is refused at the global, naming it")
    func systemCall() throws {
        let url = try pytorchFixture("malicious_system.bin")
        let error = checkpointError { _ = try PyTorchBinFile(url: url) }
        #expect(error == .disallowedGlobal(file: url.path, global: "posix.system"))
        #expect(error?.description.contains("posix.system") == true)
    }

    @Test("a state dict with a builtins.eval value (protocol 4, STACK_GLOBAL) is refused")
    func evalCall() throws {
        let url = try pytorchFixture("malicious_eval.bin")
        let error = checkpointError { _ = try ModelWeights.loadFile(url: url) }
        #expect(error == .disallowedGlobal(file: url.path, global: "builtins.eval"))
    }

    @Test("a truncated zip is an invalid archive")
    func truncated() throws {
        let url = try pytorchFixture("truncated.bin")
        let error = checkpointError { _ = try PyTorchBinFile(url: url) }
        guard case .invalidArchive(let file, let reason) = error else {
            Issue.record("expected invalidArchive, got \(String(describing: error))")
            return
        }
        #expect(file == url.path)
        #expect(reason.contains("truncated"))
    }

    @Test("a legacy (non-zip) torch.save file is refused with its own message")
    func legacy() throws {
        let url = try pytorchFixture("legacy.bin")
        let error = checkpointError { _ = try ModelWeights.loadFile(url: url) }
        #expect(error == .legacyTorchFormat(file: url.path))
        #expect(error?.description.contains("safetensors") == true)
    }

    @Test("a storage entry shorter than its tensor needs names the tensor")
    func shortStorage() throws {
        let url = try pytorchFixture("short_storage.bin")
        let key = try #require(try expectedJSON()["short_storage_key"] as? String)
        let error = checkpointError { _ = try PyTorchBinFile(url: url) }
        guard case .storageTooSmall(let file, let tensor, let storage, let required, let available) = error else {
            Issue.record("expected storageTooSmall, got \(String(describing: error))")
            return
        }
        #expect(file == url.path)
        // embed.weight and head.weight share the storage; the first checked is reported.
        #expect(["embed.weight", "head.weight"].contains(tensor))
        #expect(storage.hasPrefix("\(key) "))
        #expect(required == 40 && available == 7)
    }
}
