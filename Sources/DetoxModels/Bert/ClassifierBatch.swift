/// The input of a sequence classifier: a rectangular batch of token-id rows with an attention mask
/// and optional token type (segment) ids, as a tokenizer with padding returns them.
///
/// Every row has the same length `sequenceLength`; padded positions carry mask 0. Without a mask
/// every position is attended to (transformers' default); without token type ids every token is
/// segment 0.
public struct ClassifierBatch: Sendable, Equatable {
    /// Token ids, `[batch][sequenceLength]`.
    public let inputIDs: [[Int]]
    /// 1 for a real token, 0 for padding, `[batch][sequenceLength]`.
    public let attentionMask: [[Int]]
    /// Segment ids, `[batch][sequenceLength]`, or `nil` for all zeros.
    public let tokenTypeIDs: [[Int]]?

    public var batchSize: Int { inputIDs.count }
    public var sequenceLength: Int { inputIDs.first?.count ?? 0 }
    /// `[batchSize, sequenceLength]`.
    public var shape: [Int] { [batchSize, sequenceLength] }

    /// Checks that the rows are non-empty and rectangular and that mask and token types match them.
    ///
    /// - Throws: ``ModelError/invalidInput(_:)`` naming the offending row.
    public init(inputIDs: [[Int]], attentionMask: [[Int]]? = nil, tokenTypeIDs: [[Int]]? = nil) throws {
        guard let length = inputIDs.first?.count, length > 0 else {
            throw ModelError.invalidInput("a classifier batch needs at least one row of at least one token")
        }
        for (r, row) in inputIDs.enumerated() where row.count != length {
            throw ModelError.invalidInput("input_ids row \(r) has \(row.count) tokens, row 0 has \(length)")
        }
        let mask = attentionMask ?? Array(repeating: Array(repeating: 1, count: length), count: inputIDs.count)
        try ClassifierBatch.checkShape(mask, like: inputIDs, name: "attention_mask")
        for (r, row) in mask.enumerated() {
            if let bad = row.first(where: { $0 != 0 && $0 != 1 }) {
                throw ModelError.invalidInput("attention_mask row \(r) holds \(bad); only 0 and 1 are allowed")
            }
        }
        if let tokenTypeIDs { try ClassifierBatch.checkShape(tokenTypeIDs, like: inputIDs, name: "token_type_ids") }
        self.inputIDs = inputIDs
        self.attentionMask = mask
        self.tokenTypeIDs = tokenTypeIDs
    }

    /// Right-pads sequences of different lengths with `padTokenID` (mask 0, token type 0), as a
    /// tokenizer called with `padding=True` does.
    public init(padding sequences: [[Int]], padTokenID: Int, tokenTypeIDs: [[Int]]? = nil) throws {
        let length = sequences.map(\.count).max() ?? 0
        if let tokenTypeIDs {
            guard tokenTypeIDs.count == sequences.count else {
                throw ModelError.invalidInput(
                    "token_type_ids has \(tokenTypeIDs.count) rows, input_ids has \(sequences.count)")
            }
            for (r, (ids, types)) in zip(sequences, tokenTypeIDs).enumerated() where ids.count != types.count {
                throw ModelError.invalidInput(
                    "token_type_ids row \(r) has \(types.count) entries, input_ids row has \(ids.count)")
            }
        }
        let pad: ([Int], Int) -> [Int] = { row, value in row + Array(repeating: value, count: length - row.count) }
        try self.init(
            inputIDs: sequences.map { pad($0, padTokenID) },
            attentionMask: sequences.map { pad(Array(repeating: 1, count: $0.count), 0) },
            tokenTypeIDs: tokenTypeIDs.map { $0.map { pad($0, 0) } })
    }

    /// Row `index` on its own, keeping only the positions whose mask is 1 (its padding removed).
    public func unpaddedRow(_ index: Int) throws -> ClassifierBatch {
        guard index >= 0 && index < batchSize else {
            throw ModelError.invalidInput("row \(index) is outside the batch of \(batchSize)")
        }
        let kept = attentionMask[index].indices.filter { attentionMask[index][$0] == 1 }
        return try ClassifierBatch(
            inputIDs: [kept.map { inputIDs[index][$0] }], attentionMask: [kept.map { _ in 1 }],
            tokenTypeIDs: tokenTypeIDs.map { types in [kept.map { types[index][$0] }] })
    }

    /// Whether every position is attended to.
    public var isUnmasked: Bool { attentionMask.allSatisfy { $0.allSatisfy { $0 == 1 } } }

    /// Token ids flattened row-major.
    public var flatInputIDs: [Int] { inputIDs.flatMap { $0 } }
    /// Token type ids flattened row-major (zeros when absent).
    public var flatTokenTypeIDs: [Int] {
        tokenTypeIDs?.flatMap { $0 } ?? Array(repeating: 0, count: batchSize * sequenceLength)
    }

    static func checkShape(_ rows: [[Int]], like ids: [[Int]], name: String) throws {
        guard rows.count == ids.count else {
            throw ModelError.invalidInput("\(name) has \(rows.count) rows, input_ids has \(ids.count)")
        }
        for (r, row) in rows.enumerated() where row.count != ids[r].count {
            throw ModelError.invalidInput(
                "\(name) row \(r) has \(row.count) entries, input_ids row has \(ids[r].count)")
        }
    }
}
