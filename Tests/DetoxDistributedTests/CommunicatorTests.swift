import Foundation
import Testing

@testable import DetoxDistributed

struct CommunicatorTests {
    /// Shares are contiguous, cover every item once in rank order and differ in size by at most one.
    @Test func sharesCoverEveryItemOnceInOrder() {
        let cases = [(0, 1), (5, 1), (5, 2), (7, 3), (2, 4), (16, 4)]
        for (count, size) in cases {
            let shares = (0..<size).map { SingleProcessCommunicator.share(of: count, rank: $0, size: size) }
            #expect(shares.flatMap { Array($0) } == Array(0..<count), "count \(count), size \(size)")
            let lengths = shares.map(\.count)
            #expect((lengths.max() ?? 0) - (lengths.min() ?? 0) <= 1)
            #expect(lengths == lengths.sorted(by: >), "larger shares first")
        }
    }

    /// Alone, every collective is the identity and no MPI call is made.
    @Test func aSingleProcessWorldIsTheIdentity() throws {
        let world = SingleProcessCommunicator()
        #expect(world.rank == 0 && world.size == 1 && world.isRoot)
        var floats: [Float] = [1, 2.5, -3]
        try world.allreduceSum(&floats)
        #expect(floats == [1, 2.5, -3])
        var doubles: [Double] = [0.25]
        try world.allreduceSum(&doubles)
        #expect(doubles == [0.25])
        #expect(try world.broadcast([1, 2, 3], from: 0) == [1, 2, 3])
        #expect(try world.gather([7, 8]) == [[7, 8]])
        #expect(try world.allGather([0.5, -2]) == [[0.5, -2]])
        #expect(try world.gatherConcatenated(["a", "b"]) == ["a", "b"])
        try world.requireSameSettings("abc", what: "settings")
        #expect(world.share(of: 3) == 0..<3)
    }

    /// Only Open MPI's (or a PMIx launcher's) variables mark a process as started by `mpirun`.
    @Test func launchIsDetectedFromTheEnvironment() {
        #expect(!Distributed.isLaunchedByMPI([:]))
        #expect(!Distributed.isLaunchedByMPI(["OMP_NUM_THREADS": "1"]))
        #expect(Distributed.isLaunchedByMPI(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(Distributed.isLaunchedByMPI(["PMIX_RANK": "0"]))
    }

    /// Ranks that may use every core split them; a bound rank or an explicit `OMP_NUM_THREADS` is
    /// left alone.
    @Test func ranksSplitTheCoresTheyShare() {
        let two = ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"]
        #expect(Distributed.threadsPerRank(environment: two, onlineCores: 2, usableCores: 2) == 1)
        #expect(Distributed.threadsPerRank(environment: two, onlineCores: 16, usableCores: 16) == 8)
        #expect(
            Distributed.threadsPerRank(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "4"], onlineCores: 2, usableCores: 2)
                == 1)
        #expect(Distributed.threadsPerRank(environment: two, onlineCores: 2, usableCores: 1) == nil)
        #expect(
            Distributed.threadsPerRank(
                environment: two.merging(["OMP_NUM_THREADS": "2"]) { a, _ in a }, onlineCores: 2, usableCores: 2)
                == nil)
        #expect(Distributed.threadsPerRank(environment: [:], onlineCores: 2, usableCores: 2) == nil)
    }
}

/// The folder payload that carries a checkpoint to ranks on other machines.
struct FolderBroadcastTests {
    @Test func aFolderPacksAndUnpacksToTheSameFiles() throws {
        let fm = FileManager.default
        let source = fm.temporaryDirectory.appendingPathComponent("detox-pack-\(UUID().uuidString)")
        let target = fm.temporaryDirectory.appendingPathComponent("detox-unpack-\(UUID().uuidString)")
        defer {
            try? fm.removeItem(at: source)
            try? fm.removeItem(at: target)
        }
        let files = [
            "state.json": Data("{\"step\": 3}".utf8), "adapter/weights.bin": Data([0, 1, 2, 255]), "empty": Data(),
        ]
        for (path, data) in files {
            let file = source.appendingPathComponent(path)
            try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file)
        }
        let bytes = try SingleProcessCommunicator.pack(source)
        try SingleProcessCommunicator.unpack(bytes, into: target)
        let unpacked = try #require(fm.subpaths(atPath: target.path)).filter {
            var isFolder: ObjCBool = false
            return fm.fileExists(atPath: target.appendingPathComponent($0).path, isDirectory: &isFolder)
                && !isFolder.boolValue
        }
        #expect(unpacked.sorted() == files.keys.sorted())
        for (path, data) in files {
            #expect(try Data(contentsOf: target.appendingPathComponent(path)) == data, "\(path)")
        }
        #expect(try SingleProcessCommunicator.pack(nil) == [0])
        // Alone, the folder comes back as it is.
        #expect(try SingleProcessCommunicator().broadcastFolder(source) == source)
    }

    @Test func aMalformedPayloadIsRefused() throws {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("detox-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }
        let escape: [UInt8] = [1, 4, 0, 0, 0] + Array("../x".utf8) + [0, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: DistributedError.self) { try SingleProcessCommunicator.unpack(escape, into: target) }
        let short: [UInt8] = [1, 9, 0, 0, 0] + Array("a".utf8)
        #expect(throws: DistributedError.self) { try SingleProcessCommunicator.unpack(short, into: target) }
        let huge: [UInt8] = [1, 1, 0, 0, 0] + Array("a".utf8) + [255, 255, 255, 255, 255, 255, 255, 127]
        #expect(throws: DistributedError.self) { try SingleProcessCommunicator.unpack(huge, into: target) }
    }
}
