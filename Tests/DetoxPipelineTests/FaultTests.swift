import DetoxFiles
import DetoxTestFiles
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The built `detox` tool under faults: `kill -9` at named points (`DETOX_FAULT`, see
/// `FaultPoint`) including inside checkpoint writes, then a resume that must end with the same
/// files as an uninterrupted run; a full disk; a second run on a claimed output folder; Ctrl-C in
/// the demo's base training. Tiny models from `MiniWorld`, a few steps each.
@Suite(.serialized) struct FaultTests {
    static func fineTune(_ world: URL, out: URL) -> [String] {
        [
            "finetune", "--model", world.appendingPathComponent("t5").path, "--train",
            world.appendingPathComponent("train.csv").path, "--out", out.path, "--steps", "4", "--batch-size", "2",
            "--evaluate-every", "1", "--lora-rank", "2", "--lora-alpha", "4", "--lora-dropout", "0.1",
            "--lora-targets", "q,v", "--max-source-length", "64", "--max-target-length", "8", "--quantize", "none",
            "--seed", "3",
        ]
    }

    static func ppo(_ world: URL, out: URL, steps: Int = 3) -> [String] {
        [
            "ppo", "--model", world.appendingPathComponent("t5").path, "--reward-model",
            world.appendingPathComponent("electra").path, "--reward-label", "not offensive", "--data",
            world.appendingPathComponent("train.csv").path, "--out", out.path, "--steps", "\(steps)", "--batch-size",
            "2", "--mini-batch-size", "2", "--ppo-epochs", "1", "--lengths", "2,4", "--min-new-tokens", "1",
            "--lora-rank", "2", "--checkpoint-every", "1", "--quantize", "none", "--seed", "3",
        ]
    }

    /// Every regular file below `folder` (hidden ones left out) by relative path: the bytes, except
    /// that a metrics log loses its wall-clock fields (`time/…`), which no two runs share.
    static func contents(of folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
            var data = try Data(contentsOf: url)
            if name.hasSuffix(".jsonl") {
                var kept = Data()
                for line in data.split(separator: UInt8(ascii: "\n")) {
                    var object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] ?? [:]
                    object = object.filter { !$0.key.hasPrefix("time/") }
                    kept.append(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
                    kept.append(UInt8(ascii: "\n"))
                }
                data = kept
            }
            files[name] = data
        }
        return files
    }

    /// Runs `arguments` killed at each of `points`, resumes each to the end, and compares its
    /// files with an uninterrupted run's.
    func killAndResume(_ arguments: (URL) -> [String], points: [String], root: URL) throws {
        try #require(!points.isEmpty)
        let straight = root.appendingPathComponent("straight")
        let reference = try DetoxTool.run(arguments(straight), in: root)
        try #require(reference.status == 0, "\(reference.standardError)")
        let expected = try Self.contents(of: straight)
        try #require(expected.keys.contains { $0.hasPrefix("checkpoint/") })
        for point in points {
            let out = root.appendingPathComponent("killed-" + point.replacingOccurrences(of: ":", with: "-"))
            let killed = try DetoxTool.run(arguments(out), in: root, environment: ["DETOX_FAULT": point])
            #expect(killed.signal == SIGKILL, "\(point): \(killed.standardError)")
            let resumed = try DetoxTool.run(arguments(out), in: root)
            #expect(resumed.status == 0, "\(point): \(resumed.standardError)")
            let actual = try Self.contents(of: out)
            #expect(actual.keys.sorted() == expected.keys.sorted(), "\(point)")
            for (name, data) in expected where actual[name] != data {
                Issue.record("\(point): \(name) differs from the uninterrupted run's")
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter {
                $0.contains(".tmp-") || $0.hasSuffix(".previous")
            }
            #expect(leftovers.isEmpty, "\(point): \(leftovers)")
        }
    }

    @Test func fineTuneKilledAnywhereResumesToTheSameFiles() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = root.appendingPathComponent("world")
        _ = try MiniWorld.build(at: world)
        try killAndResume(
            { Self.fineTune(world, out: $0) },
            points: [
                "checkpoint.begin:2", "checkpoint.adapter:2", "checkpoint.staged:3", "checkpoint.swapped:2",
                "metrics.appended:3",
            ], root: root)
    }

    @Test func ppoKilledAnywhereResumesToTheSameFiles() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = root.appendingPathComponent("world")
        _ = try MiniWorld.build(at: world)
        try killAndResume(
            { Self.ppo(world, out: $0) },
            points: ["checkpoint.adapter:1", "checkpoint.staged:2", "checkpoint.swapped:2", "metrics.appended:2"],
            root: root)
    }

    /// A second run on an output folder another process holds refuses at once, naming the holder.
    @Test func claimedOutputFolderIsRefusedWithTheHoldersPID() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = root.appendingPathComponent("world")
        _ = try MiniWorld.build(at: world)
        let out = root.appendingPathComponent("out")
        let claim = try FolderLock(claiming: out)
        let refused = try DetoxTool.run(Self.ppo(world, out: out), in: root)
        withExtendedLifetime(claim) {}
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("process \(getpid())"), "\(refused.standardError)")
        #expect(refused.standardError.contains(out.path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint").path))
    }

    /// A disk that fills up while a resumed run writes keeps the previous checkpoint whole and
    /// stops with an error naming the file. Needs `mount -t tmpfs` (root); skipped otherwise.
    @Test func fullDiskKeepsThePreviousCheckpoint() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = root.appendingPathComponent("world")
        _ = try MiniWorld.build(at: world)
        let disk = root.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        guard Self.shell("mount -t tmpfs -o size=4m tmpfs '\(disk.path)'") == 0 else {
            print("FaultTests: skipping the full-disk test (mounting a tmpfs is not allowed here)")
            return
        }
        defer { _ = Self.shell("umount '\(disk.path)'") }
        let out = disk.appendingPathComponent("out")
        let first = try DetoxTool.run(Self.ppo(world, out: out, steps: 1), in: root)
        try #require(first.status == 0, "\(first.standardError)")
        let state = out.appendingPathComponent("checkpoint/trainer_state.json")
        let before = try Data(contentsOf: state)

        // Fill the disk to the last block.
        let filler = disk.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        let block = Data(count: 64 << 10)
        var size = block.count
        while size > 0 {
            do {
                try handle.write(contentsOf: block.prefix(size))
            } catch {
                size /= 2
            }
        }
        try? handle.close()

        let full = try DetoxTool.run(Self.ppo(world, out: out, steps: 3), in: root)
        #expect(full.status == 1, "\(full.standardOutput)\n\(full.standardError)")
        #expect(full.standardError.contains(out.path), "\(full.standardError)")
        #expect(full.standardError.lowercased().contains("space"), "\(full.standardError)")
        #expect(try Data(contentsOf: state) == before)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { !$0.contains(".tmp-") })

        // With room again the same command resumes from that checkpoint and finishes.
        try FileManager.default.removeItem(at: filler)
        let resumed = try DetoxTool.run(Self.ppo(world, out: out, steps: 3), in: root)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("resuming PPO at step 1"))
    }

    /// Ctrl-C during the demo's base-model training stops at a step boundary, says what was
    /// saved, and exits 130.
    @Test func demoBaseTrainingStopsOnCtrlC() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try DetoxTool.run(
            ["demo", "--quick", "--out", root.appendingPathComponent("demo").path], in: root,
            environment: ["DETOX_FAULT": "demo.base.step:3:int"])
        #expect(outcome.status == 130, "\(outcome.standardError)")
        #expect(
            outcome.standardError.contains("interrupted the demo's base-model training after step 3"),
            "\(outcome.standardError)")
        #expect(outcome.standardError.contains("the dataset is saved in"))
    }

    static func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " 2>/dev/null"]
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
