import CDetoxMPI
import Foundation

/// The world of a run started by `mpirun`: Open MPI's `MPI_COMM_WORLD`.
///
/// Errors on the communicator are fatal (`MPI_ERRORS_ARE_FATAL`), so a broken link or a dead peer
/// ends the job instead of leaving a rank waiting; `mpirun` itself ends the other ranks when one
/// exits or is killed, and names it. All of MPI's pointers stay inside this type.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int

    /// Initializes MPI (once per process) with the main thread making every MPI call.
    init() throws {
        var initialized: Int32 = 0
        try Self.check("MPI_Initialized", MPI_Initialized(&initialized))
        if initialized == 0 {
            var provided: Int32 = 0
            try Self.check(
                "MPI_Init_thread", MPI_Init_thread(nil, nil, detox_mpi_thread_funneled(), &provided))
        }
        try Self.check(
            "MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(detox_mpi_comm_world(), detox_mpi_errors_are_fatal()))
        var rank: Int32 = 0
        var size: Int32 = 0
        try Self.check("MPI_Comm_rank", MPI_Comm_rank(detox_mpi_comm_world(), &rank))
        try Self.check("MPI_Comm_size", MPI_Comm_size(detox_mpi_comm_world(), &size))
        self.rank = Int(rank)
        self.size = Int(size)
    }

    public func allreduceSum(_ values: inout [Float]) throws {
        try allreduce(&values, type: detox_mpi_float())
    }

    public func allreduceSum(_ values: inout [Double]) throws {
        try allreduce(&values, type: detox_mpi_double())
    }

    private func allreduce<Value>(_ values: inout [Value], type: MPI_Datatype?) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for start in stride(from: 0, to: buffer.count, by: allreduceBucketElements) {
                let count = Swift.min(allreduceBucketElements, buffer.count - start)
                try Self.check(
                    "MPI_Allreduce",
                    MPI_Allreduce(
                        detox_mpi_in_place(), base + start, Int32(count), type, detox_mpi_sum(),
                        detox_mpi_comm_world()))
            }
        }
    }

    public func broadcast(_ bytes: [UInt8], from root: Int) throws -> [UInt8] {
        var length = [Int64(bytes.count)]
        try Self.check(
            "MPI_Bcast", MPI_Bcast(&length, 1, detox_mpi_int64(), Int32(root), detox_mpi_comm_world()))
        guard let count = Int32(exactly: length[0]) else {
            throw DistributedError.payloadTooLarge(bytes: Int(length[0]))
        }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        if count > 0 {
            try Self.check(
                "MPI_Bcast", MPI_Bcast(&result, count, detox_mpi_byte(), Int32(root), detox_mpi_comm_world()))
        }
        return result
    }

    public func gather(_ payload: [UInt8]) throws -> [[UInt8]] {
        guard let count = Int32(exactly: payload.count) else {
            throw DistributedError.payloadTooLarge(bytes: payload.count)
        }
        var length = [Int64(count)]
        var lengths = [Int64](repeating: 0, count: isRoot ? size : 1)
        try Self.check(
            "MPI_Gather",
            MPI_Gather(&length, 1, detox_mpi_int64(), &lengths, 1, detox_mpi_int64(), 0, detox_mpi_comm_world()))
        var counts = [Int32](repeating: 0, count: size)
        var offsets = [Int32](repeating: 0, count: size)
        var total = 0
        if isRoot {
            for index in 0..<size {
                guard let offset = Int32(exactly: total), let length = Int32(exactly: lengths[index]) else {
                    throw DistributedError.payloadTooLarge(bytes: total + Int(lengths[index]))
                }
                counts[index] = length
                offsets[index] = offset
                total += Int(length)
            }
            guard Int32(exactly: total) != nil else { throw DistributedError.payloadTooLarge(bytes: total) }
        }
        var received = [UInt8](repeating: 0, count: Swift.max(total, 1))
        var sent = payload
        try Self.check(
            "MPI_Gatherv",
            MPI_Gatherv(
                &sent, count, detox_mpi_byte(), &received, &counts, &offsets, detox_mpi_byte(), 0,
                detox_mpi_comm_world()))
        guard isRoot else { return [] }
        return (0..<size).map { Array(received[Int(offsets[$0])..<Int(offsets[$0]) + Int(counts[$0])]) }
    }

    public func allGather(_ values: [Float]) throws -> [[Float]] {
        let elementBytes = MemoryLayout<Float>.size
        guard let count = Int32(exactly: values.count) else {
            throw DistributedError.payloadTooLarge(bytes: values.count * elementBytes)
        }
        var length = [Int64(count)]
        var lengths = [Int64](repeating: 0, count: size)
        try Self.check(
            "MPI_Allgather",
            MPI_Allgather(&length, 1, detox_mpi_int64(), &lengths, 1, detox_mpi_int64(), detox_mpi_comm_world()))
        var counts = [Int32](repeating: 0, count: size)
        var offsets = [Int32](repeating: 0, count: size)
        var total = 0
        for index in 0..<size {
            guard let offset = Int32(exactly: total), let length = Int32(exactly: lengths[index]), length >= 0 else {
                throw DistributedError.payloadTooLarge(bytes: (total + Int(lengths[index])) * elementBytes)
            }
            counts[index] = length
            offsets[index] = offset
            total += Int(length)
        }
        guard Int32(exactly: total) != nil else {
            throw DistributedError.payloadTooLarge(bytes: total * elementBytes)
        }
        var received = [Float](repeating: 0, count: Swift.max(total, 1))
        var sent = values
        try Self.check(
            "MPI_Allgatherv",
            MPI_Allgatherv(
                &sent, count, detox_mpi_float(), &received, &counts, &offsets, detox_mpi_float(),
                detox_mpi_comm_world()))
        return (0..<size).map { Array(received[Int(offsets[$0])..<Int(offsets[$0]) + Int(counts[$0])]) }
    }

    public func barrier() throws {
        try Self.check("MPI_Barrier", MPI_Barrier(detox_mpi_comm_world()))
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(detox_mpi_comm_world(), code)
        exit(code)
    }

    /// Ends MPI after the last collective of a successful run.
    func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    private static func check(_ call: String, _ code: Int32) throws {
        guard code == detox_mpi_success() else { throw DistributedError.mpi(call: call, code: code) }
    }
}
