// Port of transformers src/transformers/models/bert/modeling_bert.py `BertEmbeddings`,
// models/electra/modeling_electra.py `ElectraEmbeddings` and models/roberta/modeling_roberta.py
// `RobertaEmbeddings` (v4.46.3)
import DetoxNN
import DetoxTensor

/// Word + token type + absolute position embeddings, then LayerNorm and dropout.
///
/// The tables are `embeddingSize` wide (ELECTRA's `embedding_size`; the hidden size otherwise).
/// BERT and ELECTRA number positions `0..<length`; RoBERTa numbers real tokens from
/// `padding_idx + 1` and gives padding tokens `padding_idx` (`create_position_ids_from_input_ids`,
/// which reads the padding from the token ids, not from the attention mask).
public final class BertEmbeddings: SlottedModule {
    /// How position ids are made.
    public enum Positions: Sendable, Equatable {
        /// `0, 1, …, length − 1` for every row (BERT, ELECTRA).
        case sequential
        /// `cumsum(ids != pad) · (ids != pad) + pad` (RoBERTa).
        case afterPadding(paddingIndex: Int)
    }

    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    public let dropout: Dropout
    public let positions: Positions

    static let wordEmbeddings = ModuleSlot.child("word_embeddings", \BertEmbeddings.wordEmbeddings)
    static let positionEmbeddings = ModuleSlot.child("position_embeddings", \BertEmbeddings.positionEmbeddings)
    static let tokenTypeEmbeddings = ModuleSlot.child("token_type_embeddings", \BertEmbeddings.tokenTypeEmbeddings)
    static let layerNorm = ModuleSlot.child("LayerNorm", \BertEmbeddings.layerNorm)
    static let dropout = ModuleSlot.child("dropout", \BertEmbeddings.dropout)
    public static let slots = [wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings, layerNorm, dropout]

    init(configuration: BertConfiguration, weights: WeightBuilder) throws {
        let width = configuration.embeddingSize
        let std = configuration.initializerRange
        wordEmbeddings = try weights.embedding(
            Self.wordEmbeddings, count: configuration.vocabularySize, dimension: width, std: std,
            paddingIndex: configuration.padTokenID)
        if configuration.family == .roberta, let pad = configuration.padTokenID {
            positions = .afterPadding(paddingIndex: pad)
            positionEmbeddings = try weights.embedding(
                Self.positionEmbeddings, count: configuration.maxPositionEmbeddings, dimension: width, std: std,
                paddingIndex: pad)
        } else {
            positions = .sequential
            positionEmbeddings = try weights.embedding(
                Self.positionEmbeddings, count: configuration.maxPositionEmbeddings, dimension: width, std: std)
        }
        tokenTypeEmbeddings = try weights.embedding(
            Self.tokenTypeEmbeddings, count: configuration.typeVocabularySize, dimension: width, std: std)
        layerNorm = try weights.layerNorm(Self.layerNorm, dimension: width, epsilon: configuration.layerNormEpsilon)
        dropout = weights.dropout(configuration.hiddenDropout)
    }

    /// Position ids of `batch`, row-major `[batch, length]`.
    public func positionIDs(_ batch: ClassifierBatch) -> [Int] {
        switch positions {
        case .sequential:
            return Array((0..<batch.batchSize).map { _ in Array(0..<batch.sequenceLength) }.joined())
        case .afterPadding(let pad):
            return batch.inputIDs.flatMap { row in
                var running = 0
                return row.map { id in
                    guard id != pad else { return pad }
                    running += 1
                    return running + pad
                }
            }
        }
    }

    /// Checks ids, token types and positions against the table sizes.
    func validate(_ batch: ClassifierBatch) throws {
        for (r, row) in batch.inputIDs.enumerated() {
            if let bad = row.first(where: { $0 < 0 || $0 >= wordEmbeddings.count }) {
                throw ModelError.invalidInput(
                    "input_ids row \(r) holds \(bad), outside the vocabulary 0..<\(wordEmbeddings.count)")
            }
        }
        for (r, row) in (batch.tokenTypeIDs ?? []).enumerated() {
            if let bad = row.first(where: { $0 < 0 || $0 >= tokenTypeEmbeddings.count }) {
                throw ModelError.invalidInput(
                    "token_type_ids row \(r) holds \(bad), outside the \(tokenTypeEmbeddings.count) token types")
            }
        }
        if let largest = positionIDs(batch).max(), largest >= positionEmbeddings.count {
            throw ModelError.invalidInput(
                "a sequence of \(batch.sequenceLength) tokens needs position \(largest), beyond max_position_embeddings \(positionEmbeddings.count)"
            )
        }
    }

    /// - Returns: `[batch, length, embeddingSize]`.
    public func callAsFunction(_ batch: ClassifierBatch) throws -> Tensor {
        try validate(batch)
        let shape = batch.shape
        let words = try wordEmbeddings(batch.flatInputIDs, shape: shape) // [B, L, E]
        let types = try tokenTypeEmbeddings(batch.flatTokenTypeIDs, shape: shape) // [B, L, E]
        let positionTable: Tensor
        switch positions {
        case .sequential: // [1, L, E], shared by the rows
            positionTable = try positionEmbeddings(Array(0..<batch.sequenceLength), shape: [1, batch.sequenceLength])
        case .afterPadding: // [B, L, E]
            positionTable = try positionEmbeddings(positionIDs(batch), shape: shape)
        }
        let summed = words + types + positionTable
        return dropout(layerNorm(summed))
    }
}
