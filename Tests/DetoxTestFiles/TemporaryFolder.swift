import Foundation

/// A fresh, empty folder under the system's temporary folder, for a test to write into.
///
/// Every test target makes its scratch folders here, so that each name is unique (a UUID, after
/// the calling test's name to tell leftovers apart) and removal is written one way:
/// `let folder = try TemporaryFolder()` then `defer { folder.cleanUp() }`. The target depends on
/// nothing but Foundation, so test targets that never touch tensors need not link the engine.
public struct TemporaryFolder: Sendable {
    /// The folder, which exists from `init` until ``cleanUp()``.
    public let url: URL

    /// Creates the folder; `label` (by default the calling function's name) goes into its name.
    public init(_ label: String = #function) throws {
        let name = label.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("detox-\(name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The URL of `name` inside the folder (not created).
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The names in the folder, hidden ones included, sorted.
    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    /// Removes the folder and everything in it.
    public func cleanUp() { try? FileManager.default.removeItem(at: url) }
}
