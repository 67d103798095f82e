import DetoxFiles
import DetoxTestFiles
import Foundation
import Testing

@Suite struct RunSettingsRecordTests {
    struct Inner: Encodable {
        var rank = 8
        var targets = ["q", "v"]
    }

    struct Outer: Encodable {
        var seed: UInt64 = 42
        var learningRate = 0.001
        var adapter = Inner()
        var limit: Int? = nil
    }

    @Test("settings flatten to dotted keys with JSON text values")
    func flattening() throws {
        let values = try RunSettingsRecord.flattened(Outer(), prefix: "trainer")
        #expect(
            values == [
                "trainer.seed": "42", "trainer.learningRate": "0.001", "trainer.adapter.rank": "8",
                "trainer.adapter.targets": "[\"q\",\"v\"]",
            ])
    }

    @Test("differences list every key either side holds with another value, sorted")
    func differences() {
        let recorded = RunSettingsRecord(["a": "1", "b": "2", "c": "3"])
        let current = RunSettingsRecord(["a": "1", "b": "5", "d": "4"])
        #expect(
            current.differences(from: recorded) == [
                .init(key: "b", recorded: "2", current: "5"), .init(key: "c", recorded: "3", current: nil),
                .init(key: "d", recorded: nil, current: "4"),
            ])
        #expect(recorded.differences(from: recorded).isEmpty)
    }

    @Test("check: a fresh run records; a resume with other values refuses and keeps the record")
    func check() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let first = RunSettingsRecord(["seed": "1"])
        // No record yet (a checkpoint from before records existed): accepted, then recorded.
        try first.check(folder: folder.url, resuming: true)
        let file = folder.file(RunSettingsRecord.fileName)
        let written = try Data(contentsOf: file)
        let other = RunSettingsRecord(["seed": "2"])
        #expect(
            throws: ResumeMismatchError(
                folder: folder.url.path, differences: [.init(key: "seed", recorded: "1", current: "2")])
        ) {
            try other.check(folder: folder.url, resuming: true)
        }
        #expect(try Data(contentsOf: file) == written)
        try first.check(folder: folder.url, resuming: true)
        // Not resuming (fresh start or --restart): the new settings replace the record.
        try other.check(folder: folder.url, resuming: false)
        try other.check(folder: folder.url, resuming: true)
        try Data("[1, 2".utf8).write(to: file)
        #expect(throws: ResumeMismatchError.self) { try other.check(folder: folder.url, resuming: true) }
    }

    @Test("a file's identity follows its content, not its name")
    func fileIdentity() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let a = folder.file("a.csv")
        let b = folder.file("b.csv")
        try Data("x,y\n1,2\n".utf8).write(to: a)
        try Data("x,y\n1,2\n".utf8).write(to: b)
        #expect(try RunSettingsRecord.fileIdentity(a) == RunSettingsRecord.fileIdentity(b))
        #expect(try RunSettingsRecord.fileIdentity(a).hasPrefix("8 bytes, fnv1a64 "))
        try Data("x,y\n1,3\n".utf8).write(to: b)
        #expect(try RunSettingsRecord.fileIdentity(a) != RunSettingsRecord.fileIdentity(b))
        #expect(throws: FileWriteError.self) { try RunSettingsRecord.fileIdentity(folder.file("missing")) }
    }
}
