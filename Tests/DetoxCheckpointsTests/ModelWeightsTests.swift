import DetoxTensor
import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxCheckpoints

// MARK: - Model folders

@Suite("ModelWeights: model folders, sharded checkpoints, file dispatch")
struct ModelWeightsTests {
    @Test(
        "sharded folders (safetensors and .bin) load every mapped tensor bit-identically",
        arguments: [
            ("sharded_safetensors", "model.safetensors.index.json"), ("sharded_bin", "pytorch_model.bin.index.json"),
        ])
    func shardedFolder(_ folder: String, _ index: String) throws {
        let url = try pytorchFixture(folder)
        #expect(try ModelWeights.weightsFile(in: url).lastPathComponent == index)
        let weights = try ModelWeights(folder: url)
        #expect(weights.files.count == 2)
        let expected = try expectedTensors(of: "\(folder)/\(index)")
        #expect(weights.names == expected.keys.sorted(by: SafeTensorsHeader.byteOrder))
        let floats = try ModelWeights.load(folder: url)
        try #require(!expected.isEmpty, "the fixture has no expected values")
        for (name, entry) in expected {
            if let bits = entry.f32Bits {
                #expect(floats[name]?.shape == entry.shape, "\(name)")
                #expect(floats[name]?.values.map(\.bitPattern) == bits, "\(name)")
            } else {
                #expect(floats[name] == nil, "\(name)")
                #expect(try weights.integers(name) == entry.ints, "\(name)")
            }
        }
    }

    @Test("the folder loader prefers model.safetensors, then its index, then pytorch_model.bin, then its index")
    func preferenceOrder() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let fm = FileManager.default
        // A distinguishable file per candidate: one tensor named after the file.
        func single(_ name: String) throws -> URL {
            let url = folder.file("src-\(name)")
            try SafeTensors.write(["from.\(name)": Tensor([1, 2])], to: url)
            return url
        }
        let shardedSafetensors = try pytorchFixture("sharded_safetensors")
        let shardedBin = try pytorchFixture("sharded_bin")
        for name in try fm.contentsOfDirectory(atPath: shardedBin.path) {
            try fm.copyItem(at: shardedBin.appendingPathComponent(name), to: folder.file(name))
        }
        #expect(try ModelWeights.weightsFile(in: folder.url).lastPathComponent == "pytorch_model.bin.index.json")
        #expect(try ModelWeights(folder: folder.url).files.count == 2)

        try fm.copyItem(at: try pytorchFixture("tiny_model.bin"), to: folder.file("pytorch_model.bin"))
        #expect(try ModelWeights.weightsFile(in: folder.url).lastPathComponent == "pytorch_model.bin")
        if case .pytorch = try ModelWeights(folder: folder.url).files[0] {
        } else {
            Issue.record("pytorch_model.bin not opened as .bin")
        }

        for name in try fm.contentsOfDirectory(atPath: shardedSafetensors.path) {
            try fm.copyItem(at: shardedSafetensors.appendingPathComponent(name), to: folder.file(name))
        }
        #expect(try ModelWeights.weightsFile(in: folder.url).lastPathComponent == "model.safetensors.index.json")

        try fm.moveItem(at: try single("model.safetensors"), to: folder.file("model.safetensors"))
        #expect(try ModelWeights.weightsFile(in: folder.url).lastPathComponent == "model.safetensors")
        #expect(try ModelWeights.load(folder: folder.url).keys.sorted() == ["from.model.safetensors"])
    }

    @Test("a folder without weights names the folder and the four file names")
    func missingWeights() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Data("{}".utf8).write(to: folder.file("config.json"))
        try FileManager.default.createDirectory(
            at: folder.file("model.safetensors"), withIntermediateDirectories: false)
        let error = checkpointError { _ = try ModelWeights.load(folder: folder.url) }
        #expect(error == .missingWeights(folder: folder.url.path, lookedFor: ModelWeights.fileNames))
        #expect(error?.description.contains("pytorch_model.bin.index.json") == true)
    }

    @Test("a shard missing a key the index maps to it is an error naming shard and key")
    func shardMissingKey() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try SafeTensors.write(["a": Tensor([1])], to: folder.file("one.safetensors"))
        let index = #"{"metadata": {"total_size": 8}, "weight_map": {"a": "one.safetensors", "b": "one.safetensors"}}"#
        try Data(index.utf8).write(to: folder.file("model.safetensors.index.json"))
        let error = checkpointError { _ = try ModelWeights(folder: folder.url) }
        #expect(error == .missingTensor(file: folder.file("one.safetensors").path, tensor: "b"))
    }

    @Test(
        "malformed indexes are typed errors",
        arguments: [
            (#"[1, 2]"#, "not a JSON object"),
            (#"{"metadata": {}}"#, "weight_map"),
            (#"{"weight_map": {"a": 3}}"#, "not a string"),
            (#"{"weight_map": {"a": "../secret.safetensors"}}"#, "plain file name"),
        ])
    func badIndex(_ text: String, _ reason: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let url = folder.file("pytorch_model.bin.index.json")
        try Data(text.utf8).write(to: url)
        let error = checkpointError { _ = try ModelWeights.loadFile(url: url) }
        guard case .invalidIndex(let file, let message) = error else {
            Issue.record("expected invalidIndex, got \(String(describing: error))")
            return
        }
        #expect(file == url.path)
        #expect(message.contains(reason), "\(message)")
    }

    @Test("loadFile dispatches on the zip signature, not only the extension")
    func dispatchOnMagic() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let renamed = folder.file("weights.data")
        try FileManager.default.copyItem(at: try pytorchFixture("tiny_model.bin"), to: renamed)
        if case .pytorch = try CheckpointFile(url: renamed) {} else { Issue.record("zip not detected") }
        #expect(try ModelWeights.loadFile(url: renamed).count == 11)
        let safe = folder.file("weights.other")
        try FileManager.default.copyItem(at: try pytorchFixture("tiny_model.safetensors"), to: safe)
        if case .safetensors = try CheckpointFile(url: safe) {} else { Issue.record("safetensors not detected") }
    }
}
