import DetoxFiles
import DetoxTestFiles
import Foundation
import Testing

@Suite struct FolderLockTests {
    /// A claimed folder refuses a second claim with the holder's process id, and is free again once
    /// the first claim ends.
    @Test func aSecondClaimIsRefusedUntilTheFirstEnds() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let out = folder.file("run")
        var first: FolderLock? = try FolderLock(claiming: out)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(FolderLock.fileName).path))
        #expect(throws: FileWriteError.busy(folder: out.path, holder: ProcessInfo.processInfo.processIdentifier)) {
            try FolderLock(claiming: out)
        }
        withExtendedLifetime(first) {}
        first = nil
        let second = try FolderLock(claiming: out)
        withExtendedLifetime(second) {}
    }

    /// A lock file left by a process that ended (it holds a stale id) does not block a claim.
    @Test func aLeftoverLockFileIsNotAClaim() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Data("999999\n".utf8).write(to: folder.file(FolderLock.fileName))
        let claim = try FolderLock(claiming: folder.url)
        let holder = try String(contentsOfFile: claim.path, encoding: .utf8)
        #expect(holder == "\(ProcessInfo.processInfo.processIdentifier)\n")
    }
}
