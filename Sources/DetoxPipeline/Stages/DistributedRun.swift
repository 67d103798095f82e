import DetoxDistributed
import DetoxFiles
import Foundation

/// What the stages share for running under `mpirun`: the settings fingerprint that every rank
/// compares with rank 0's at start-up, and the world size in progress lines.
public enum DistributedRun {
    /// A 64-bit FNV-1a hash of the text of `parts`, in hexadecimal. Each part is described with
    /// `String(describing:)`, or as JSON with sorted keys when it is `Encodable`, so the text does not
    /// depend on the process (no dictionary-order or address in it).
    public static func fingerprint(_ parts: Any?...) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            let text: String
            if let encodable = part as? any Encodable, let data = try? encoder.encode(encodable) {
                text = String(decoding: data, as: UTF8.self)
            } else {
                text = part.map { String(describing: $0) } ?? "nil"
            }
            for byte in text.utf8 + [0] {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        return String(hash, radix: 16)
    }

    /// Runs a stage's `body` on this process's rank: rank 0 claims `folder` for the run (the other
    /// ranks write nothing) and `body` gets the world and a log that only rank 0 prints.
    static func claiming<Result>(
        _ folder: URL, log rootLog: (String) -> Void,
        _ body: (_ world: any Communicator, _ log: (String) -> Void) throws -> Result
    ) throws -> Result {
        let world = try Distributed.world()
        let claim = world.isRoot ? try FolderLock(claiming: folder) : nil
        defer { withExtendedLifetime(claim) {} }
        return try withoutActuallyEscaping(rootLog) { rootLog in
            try body(world) { if world.isRoot { rootLog($0) } }
        }
    }

    /// " on N ranks" for a progress line when the world has more than one rank, else nothing.
    public static func ranks(_ world: any Communicator) -> String {
        world.size > 1 ? " on \(world.size) ranks" : ""
    }
}
