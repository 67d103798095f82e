/// The result of encoding one sequence or one pair of sequences.
///
/// Offsets are character ranges in the original input counted in **Unicode scalars** (the indices
/// of a Python `str`, what `return_offsets_mapping=True` reports); special and padding tokens
/// have the empty range `0..<0`. For a pair, each token's offsets refer to its own sequence.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var tokens: [String]
    public var typeIds: [Int]
    public var attentionMask: [Int]
    public var specialTokensMask: [Int]
    public var offsets: [Range<Int>]
    /// Which input sequence each token came from (0 or 1), `nil` for added special tokens and padding.
    public var sequenceIds: [Int?]

    public init() {
        ids = []
        tokens = []
        typeIds = []
        attentionMask = []
        specialTokensMask = []
        offsets = []
        sequenceIds = []
    }

    public var count: Int { ids.count }

    // MARK: - Building

    mutating func append(id: Int, token: String, typeId: Int, offsets range: Range<Int>, special: Bool, sequence: Int?) {
        ids.append(id)
        tokens.append(token)
        typeIds.append(typeId)
        attentionMask.append(1)
        specialTokensMask.append(special ? 1 : 0)
        offsets.append(range)
        sequenceIds.append(sequence)
    }

    mutating func append(contentsOf other: Encoding) {
        ids += other.ids
        tokens += other.tokens
        typeIds += other.typeIds
        attentionMask += other.attentionMask
        specialTokensMask += other.specialTokensMask
        offsets += other.offsets
        sequenceIds += other.sequenceIds
    }

    /// Keeps `maxLength` tokens from the start (`.right`) or the end (`.left`).
    mutating func truncate(to maxLength: Int, direction: Truncation.Direction) {
        guard count > maxLength else { return }
        let keep: Range<Int> = direction == .right ? 0..<maxLength : (count - maxLength)..<count
        ids = Array(ids[keep])
        tokens = Array(tokens[keep])
        typeIds = Array(typeIds[keep])
        attentionMask = Array(attentionMask[keep])
        specialTokensMask = Array(specialTokensMask[keep])
        offsets = Array(offsets[keep])
        sequenceIds = Array(sequenceIds[keep])
    }

    /// Pads to `length` tokens on `side`.
    mutating func pad(to length: Int, id: Int, token: String, typeId: Int, side: Padding.Side) {
        let n = length - count
        guard n > 0 else { return }
        func pad<T>(_ array: inout [T], _ value: T) {
            let filler = [T](repeating: value, count: n)
            array = side == .right ? array + filler : filler + array
        }
        pad(&ids, id)
        pad(&tokens, token)
        pad(&typeIds, typeId)
        pad(&attentionMask, 0)
        pad(&specialTokensMask, 1)
        pad(&offsets, 0..<0)
        pad(&sequenceIds, nil)
    }
}
