import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The built `detox` command-line tool, run as a child process by the tests that need a real
/// process (kill -9, locks, captured output). `swift build --build-tests` puts it beside the test
/// bundle; tests find it there.
public enum DetoxTool {
    /// What one run left: exit status (or the signal that ended it) and both output streams.
    public struct Outcome: Sendable {
        public var status: Int32
        /// The signal that ended the process (`SIGKILL` is 9), `nil` when it exited.
        public var signal: Int32?
        public var standardOutput: String
        public var standardError: String
    }

    /// The tool's path: `detox` in the folder of this test process's executable or one above it
    /// (`.build/<triple>/<config>/`), `nil` when it is not built.
    public static var executable: URL? {
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? "/proc/self/exe")
            .resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("detox")
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder), !isFolder.boolValue {
                return candidate
            }
            folder.deleteLastPathComponent()
        }
        return nil
    }

    /// Runs `detox arguments…` in `folder` with `environment` added to this process's and waits
    /// for it to end (or kills it after `timeout` seconds).
    public static func run(
        _ arguments: [String], in folder: URL, environment: [String: String] = [:], timeout: Double = 120
    ) throws -> Outcome {
        guard let executable else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the detox tool is not built"])
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let scratch = FileManager.default.temporaryDirectory
        let output = scratch.appendingPathComponent("detox-stdout-\(UUID().uuidString)")
        let errors = scratch.appendingPathComponent("detox-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        let outputHandle = try FileHandle(forWritingTo: output)
        let errorHandle = try FileHandle(forWritingTo: errors)
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        // SIGKILL: the child may have inherited SIGTERM blocked.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? outputHandle.close()
        try? errorHandle.close()
        let killed = process.terminationReason == .uncaughtSignal
        return Outcome(
            status: killed ? -1 : process.terminationStatus, signal: killed ? process.terminationStatus : nil,
            standardOutput: String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self),
            standardError: String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self))
    }
}
