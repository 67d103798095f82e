/// What can go wrong between the ranks of a data-parallel run.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// An MPI call returned an error code.
    case mpi(call: String, code: Int32)
    /// A gathered or broadcast payload is too large for one MPI message (more than 2³¹ − 1 bytes).
    case payloadTooLarge(bytes: Int)
    /// A payload from `rank` could not be decoded.
    case malformedPayload(rank: Int, reason: String)
    /// `rank` runs with settings that differ from rank 0's.
    case settingsMismatch(rank: Int, what: String)

    public var description: String {
        switch self {
        case .mpi(let call, let code): return "\(call) failed with MPI error \(code)"
        case .payloadTooLarge(let bytes): return "a payload of \(bytes) bytes is too large for one MPI message"
        case .malformedPayload(let rank, let reason): return "the payload from rank \(rank) is malformed: \(reason)"
        case .settingsMismatch(let rank, let what):
            return
                "rank \(rank) runs with \(what) that differ from rank 0's: start every rank with the same command, recipe and files"
        }
    }
}
