import Foundation

/// The processes of a data-parallel run and the collective operations between them.
///
/// Every rank calls the same collectives in the same order with the same shapes; a rank that
/// skips one leaves the others waiting (under Open MPI, `mpirun` ends the job when a rank dies).
/// ``SingleProcessCommunicator`` is the world of a run started without `mpirun`: rank 0 of 1,
/// every collective a copy or nothing, no MPI call made. ``MPICommunicator`` is the world of a run
/// started by `mpirun -np N`.
public protocol Communicator: AnyObject {
    /// This process's index in the world, from 0.
    var rank: Int { get }
    /// The number of processes in the world.
    var size: Int { get }

    /// Replaces `values` on every rank by the element-wise sum over all ranks. Every rank passes
    /// the same count; large buffers go in buckets of at most ``allreduceBucketElements`` values.
    func allreduceSum(_ values: inout [Float]) throws
    /// The `Double` form of ``allreduceSum(_:)-([Float])``.
    func allreduceSum(_ values: inout [Double]) throws

    /// Returns `root`'s `bytes` on every rank (what other ranks pass is ignored).
    func broadcast(_ bytes: [UInt8], from root: Int) throws -> [UInt8]

    /// Collects each rank's `payload` (of any length) on rank 0: there, the payloads in rank
    /// order; on other ranks, an empty array.
    func gather(_ payload: [UInt8]) throws -> [[UInt8]]

    /// Returns every rank's `values` (each rank's of any length), in rank order, on every rank.
    func allGather(_ values: [Float]) throws -> [[Float]]

    /// Returns when every rank has called it.
    func barrier() throws

    /// Ends every rank of the job with exit status `code` (a failure on one rank must not leave
    /// the others waiting in a collective).
    func abort(code: Int32) -> Never
}

/// The largest number of values one allreduce call carries; longer buffers are reduced in
/// buckets of this size (16 MiB of `Float`), which also keeps counts inside MPI's `int`.
public let allreduceBucketElements = 1 << 22

extension Communicator {
    /// Whether this is rank 0, the one rank that writes files and progress lines.
    public var isRoot: Bool { rank == 0 }

    /// This rank's contiguous share of `count` items: ranks take consecutive blocks whose sizes
    /// differ by at most one, rank 0 first, so concatenating the shares in rank order restores
    /// the original order.
    public func share(of count: Int) -> Range<Int> { Self.share(of: count, rank: rank, size: size) }

    /// The share of `rank` in a world of `size` (see ``share(of:)``).
    public static func share(of count: Int, rank: Int, size: Int) -> Range<Int> {
        let base = count / size
        let extra = count % size
        let start = rank * base + Swift.min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// Gathers `items` from every rank to rank 0 and returns them there concatenated in rank
    /// order (an empty array on other ranks); each item travels as JSON.
    public func gatherConcatenated<Item: Codable>(_ items: [Item]) throws -> [Item] {
        let encoder = JSONEncoder()
        let payloads = try gather(Array(try encoder.encode(items)))
        guard isRoot else { return [] }
        var result: [Item] = []
        for (index, payload) in payloads.enumerated() {
            do {
                result += try JSONDecoder().decode([Item].self, from: Data(payload))
            } catch {
                throw DistributedError.malformedPayload(rank: index, reason: "\(error)")
            }
        }
        return result
    }

    /// Gathers `items` from every rank and returns all of them, concatenated in rank order, on every
    /// rank (rank 0 gathers, then broadcasts).
    public func allGatherConcatenated<Item: Codable>(_ items: [Item]) throws -> [Item] {
        guard size > 1 else { return items }
        let gathered = try gatherConcatenated(items)
        let bytes = try broadcast(isRoot ? Array(try JSONEncoder().encode(gathered)) : [], from: 0)
        do {
            return try JSONDecoder().decode([Item].self, from: Data(bytes))
        } catch {
            throw DistributedError.malformedPayload(rank: 0, reason: "\(error)")
        }
    }

    /// The seed of this rank's sampling stream for a run seeded with `seed`: rank 0 uses `seed`
    /// itself (so one process samples as it always has), rank `r` uses `seed + r × 0x9E3779B97F4A7C15`
    /// (wrapping). A sampled run therefore repeats exactly for a given number of ranks.
    public func samplingSeed(_ seed: UInt64) -> UInt64 {
        seed &+ UInt64(rank) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Checks that every rank runs with the same settings: rank 0's `fingerprint` is broadcast and
    /// compared on every rank; a rank that differs throws ``DistributedError/settingsMismatch(rank:what:)``
    /// (after which the caller aborts the job).
    public func requireSameSettings(_ fingerprint: String, what: String) throws {
        let root = try broadcast(Array(fingerprint.utf8), from: 0)
        guard root == Array(fingerprint.utf8) else {
            throw DistributedError.settingsMismatch(rank: rank, what: what)
        }
    }
}

/// The world of a run started without `mpirun`: one process, rank 0, no MPI call.
public final class SingleProcessCommunicator: Communicator {
    public let rank = 0
    public let size = 1

    public init() {}

    public func allreduceSum(_ values: inout [Float]) throws {}
    public func allreduceSum(_ values: inout [Double]) throws {}
    public func broadcast(_ bytes: [UInt8], from root: Int) throws -> [UInt8] { bytes }
    public func gather(_ payload: [UInt8]) throws -> [[UInt8]] { [payload] }
    public func allGather(_ values: [Float]) throws -> [[Float]] { [values] }
    public func barrier() throws {}
    public func abort(code: Int32) -> Never { exit(code) }
}
