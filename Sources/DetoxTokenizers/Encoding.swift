/// The result of encoding one sequence or one pair of sequences.
///
/// Offsets are character ranges in the original input counted in **Unicode scalars** (the indices
/// of a Python `str`, what `return_offsets_mapping=True` reports); special and padding tokens
/// have the empty range `0..<0`. For a pair, each token's offsets refer to its own sequence.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var tokens: [String]
    public var typeIDs: [Int]
    public var attentionMask: [Int]
    public var specialTokensMask: [Int]
    public var offsets: [Range<Int>]
    /// Which input sequence each token came from (0 or 1), `nil` for added special tokens and padding.
    public var sequenceIDs: [Int?]

    public init() {
        ids = []
        tokens = []
        typeIDs = []
        attentionMask = []
        specialTokensMask = []
        offsets = []
        sequenceIDs = []
    }

    public var count: Int { ids.count }

    // MARK: - Building

    /// Makes room for `n` tokens in every array.
    mutating func reserveCapacity(_ n: Int) {
        ids.reserveCapacity(n)
        tokens.reserveCapacity(n)
        typeIDs.reserveCapacity(n)
        attentionMask.reserveCapacity(n)
        specialTokensMask.reserveCapacity(n)
        offsets.reserveCapacity(n)
        sequenceIDs.reserveCapacity(n)
    }

    mutating func append(id: Int, token: String, typeID: Int, offsets range: Range<Int>, special: Bool, sequence: Int?)
    {
        ids.append(id)
        tokens.append(token)
        typeIDs.append(typeID)
        attentionMask.append(1)
        specialTokensMask.append(special ? 1 : 0)
        offsets.append(range)
        sequenceIDs.append(sequence)
    }

    mutating func append(contentsOf other: Encoding) {
        ids += other.ids
        tokens += other.tokens
        typeIDs += other.typeIDs
        attentionMask += other.attentionMask
        specialTokensMask += other.specialTokensMask
        offsets += other.offsets
        sequenceIDs += other.sequenceIDs
    }

    /// Keeps `maxLength` tokens from the start (`.right`) or the end (`.left`).
    mutating func truncate(to maxLength: Int, direction: Truncation.Direction) {
        guard count > maxLength else { return }
        let keep: Range<Int> = direction == .right ? 0..<maxLength : (count - maxLength)..<count
        ids = Array(ids[keep])
        tokens = Array(tokens[keep])
        typeIDs = Array(typeIDs[keep])
        attentionMask = Array(attentionMask[keep])
        specialTokensMask = Array(specialTokensMask[keep])
        offsets = Array(offsets[keep])
        sequenceIDs = Array(sequenceIDs[keep])
    }

    /// Pads to `length` tokens on `side`.
    mutating func pad(to length: Int, id: Int, token: String, typeID: Int, side: Padding.Side) {
        let n = length - count
        guard n > 0 else { return }
        func pad<T>(_ array: inout [T], _ value: T) {
            let filler = [T](repeating: value, count: n)
            array = side == .right ? array + filler : filler + array
        }
        pad(&ids, id)
        pad(&tokens, token)
        pad(&typeIDs, typeID)
        pad(&attentionMask, 0)
        pad(&specialTokensMask, 1)
        pad(&offsets, 0..<0)
        pad(&sequenceIDs, nil)
    }
}
