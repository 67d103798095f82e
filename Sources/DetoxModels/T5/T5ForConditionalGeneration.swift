// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5ForConditionalGeneration`
import DetoxNN
import DetoxTensor
import Foundation

/// T5 encoder–decoder with a language-model head: T5 v1.0 (ReLU feed-forward, `lm_head` tied to
/// the shared embedding with the `d_model^-0.5` rescale) and v1.1 / flan-t5 (gated-gelu, separate
/// `lm_head`).
///
/// Parameters carry their Hugging Face checkpoint names (`shared.weight`,
/// `encoder.block.0.layer.0.SelfAttention.q.weight`, ..., `lm_head.weight` when untied), so
/// ``stateDict()`` is what `save_pretrained` writes. Dropout is active only after
/// `setTraining(true)`. The attention and feed-forward projections (and an untied `lm_head`) are
/// linear slots: `linearLayers()` lists them by checkpoint path
/// (`encoder.block.0.layer.0.SelfAttention.q`, `decoder.block.1.layer.2.DenseReluDense.wi_0`, ...)
/// and `replaceLinearLayers(where:with:)` or ``replaceLinear(at:with:)`` swaps LoRA or 4-bit layers in.
public final class T5ForConditionalGeneration: SlottedModule {
    public let configuration: T5Configuration
    /// `[vocab, d_model]`, used by both stacks (and as the output projection when tied).
    public let shared: Embedding
    public let encoder: T5Stack
    public let decoder: T5Stack
    /// The output projection `[vocab, d_model]`; `nil` when tied to ``shared``.
    public var lmHead: (any LinearLayer)?

    static let shared = ModuleSlot.child("shared", \T5ForConditionalGeneration.shared)
    static let encoder = ModuleSlot.child("encoder", \T5ForConditionalGeneration.encoder)
    static let decoder = ModuleSlot.child("decoder", \T5ForConditionalGeneration.decoder)
    static let lmHead = ModuleSlot.linear("lm_head", \T5ForConditionalGeneration.lmHead)
    public static let slots = [shared, encoder, decoder, lmHead]

    /// Keys that stand in for a missing key: `shared.weight` is also stored (or only stored) as the
    /// encoder's and decoder's `embed_tokens.weight`.
    static let aliases: [String: [String]] = [
        "shared.weight": ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"]
    ]

    /// A randomly initialised model (transformers' `_init_weights` distributions, seeded).
    public convenience init(configuration: T5Configuration, seed: UInt64 = 0) throws {
        try configuration.validate(file: "T5Configuration")
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(generator: SeededGenerator(seed: seed), dropoutSeeds: .model(seed: seed)))
    }

    /// A model built from checkpoint tensors named as in Hugging Face files.
    ///
    /// `shared.weight` may be stored under `encoder.embed_tokens.weight` or
    /// `decoder.embed_tokens.weight` instead; keys the model does not use (the tied copies,
    /// `lm_head.weight` of a tied model, the unused cross-attention bias of old checkpoints, a
    /// value head) are ignored, as transformers does.
    /// - Throws: ``ModelError/missingTensor(source:key:)`` or ``ModelError/shapeMismatch(source:key:expected:actual:)``
    ///   naming the first weight that is absent or of the wrong shape.
    public convenience init(configuration: T5Configuration, tensors: [String: Tensor], source: String = "checkpoint")
        throws
    {
        try configuration.validate(file: "T5Configuration")
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(
                checkpoint: tensors, source: source, aliases: Self.aliases, dropoutSeeds: .model(seed: 0)))
    }

    init(configuration c: T5Configuration, weights: WeightBuilder) throws {
        configuration = c
        (shared, encoder, decoder, lmHead) = try ModelError.building {
            let shared = try weights.embedding(
                Self.shared, count: c.vocabularySize, dimension: c.modelDimension, std: c.initializerFactor)
            let encoder = try T5Stack(configuration: c, isDecoder: false, weights: weights.scoped(Self.encoder))
            let decoder = try T5Stack(configuration: c, isDecoder: true, weights: weights.scoped(Self.decoder))
            let lmHead = try weights.languageModelHead(
                Self.lmHead, tied: c.tieWordEmbeddings, hiddenSize: c.modelDimension, vocabularySize: c.vocabularySize,
                std: c.initializerFactor)
            return (shared, encoder, decoder, lmHead)
        }
    }

    // MARK: - Forward

    /// Runs the encoder and decoder (teacher forcing) and, with `labels`, the loss.
    ///
    /// - Parameters:
    ///   - inputIDs: `[B][S]` source ids, right-padded; `attentionMask` `[B][S]` of 0/1 (all ones when `nil`).
    ///   - decoderInputIDs: `[B][T]`; when `nil`, the labels shifted right behind `decoder_start_token_id`
    ///     (`-100` becomes `pad_token_id`), as transformers' `_shift_right`.
    ///   - decoderAttentionMask: `[B][T]` 0/1 (all ones when `nil`), combined with the causal mask.
    ///   - labels: `[B][T]` targets; `-100` is ignored by the loss.
    /// - Returns: logits `[B, T, vocab]`, the mean cross-entropy when labels are given, the encoder
    ///   output `[B, S, d_model]` and the decoder's last hidden state `[B, T, d_model]`.
    public func callAsFunction(
        inputIDs: [[Int]], attentionMask: [[Int]]? = nil, decoderInputIDs: [[Int]]? = nil,
        decoderAttentionMask: [[Int]]? = nil, labels: [[Int]]? = nil
    ) throws -> T5Output {
        let (encoderHidden, encoderMask) = try encodeWithMask(inputIDs: inputIDs, attentionMask: attentionMask)
        let batch = inputIDs.count
        var decoderIDs = decoderInputIDs
        if decoderIDs == nil, let labels { decoderIDs = shiftRight(labels) }
        guard let decoderIDs else {
            throw ModelError.invalidInput("either decoderInputIDs or labels must be given")
        }
        guard decoderIDs.count == batch else {
            throw ModelError.invalidInput("decoder inputs have \(decoderIDs.count) rows, the source has \(batch)")
        }
        let hidden = try decode(
            decoderInputIDs: decoderIDs, decoderAttentionMask: decoderAttentionMask,
            encoderHidden: encoderHidden, encoderMask: encoderMask)
        let logits = lmLogits(hidden)
        var loss: Tensor?
        if let labels {
            let flat = try T5Inputs.flatten(
                labels, name: "labels", vocabulary: configuration.vocabularySize,
                allowed: [Losses.ignoreIndex])
            guard flat.batch == batch, flat.length == hidden.shape[1] else {
                throw ModelError.invalidInput(
                    "labels are [\(flat.batch), \(flat.length)], the decoder inputs [\(batch), \(hidden.shape[1])]")
            }
            loss = try Losses.crossEntropy(logits.reshaped([-1, configuration.vocabularySize]), targets: flat.ids)
        }
        return T5Output(logits: logits, loss: loss, encoderHiddenState: encoderHidden, decoderHiddenState: hidden)
    }

    /// The encoder's output `[B, S, d_model]` for right-padded `inputIDs` `[B][S]`.
    public func encode(inputIDs: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        try encodeWithMask(inputIDs: inputIDs, attentionMask: attentionMask).hidden
    }

    /// Encoder output and the additive mask `[B, 1, 1, S]` the decoder's cross-attention uses.
    func encodeWithMask(inputIDs: [[Int]], attentionMask: [[Int]]?) throws -> (hidden: Tensor, mask: Tensor) {
        let (ids, batch, length) = try T5Inputs.flatten(
            inputIDs, name: "inputIDs", vocabulary: configuration.vocabularySize)
        let mask = try T5Inputs.mask(attentionMask, name: "attentionMask", batch: batch, length: length)
        let additive = T5Inputs.additivePaddingMask(mask, batch: batch, length: length)
        let embeddings = try shared(ids, shape: [batch, length])
        return (encoder(embeddings: embeddings, selfMask: additive), additive)
    }

    /// The decoder's last hidden state `[B, T, d_model]` (after the final layer norm) for teacher-forced inputs.
    func decode(decoderInputIDs: [[Int]], decoderAttentionMask: [[Int]]?, encoderHidden: Tensor, encoderMask: Tensor)
        throws -> Tensor
    {
        let (ids, batch, length) = try T5Inputs.flatten(
            decoderInputIDs, name: "decoderInputIDs", vocabulary: configuration.vocabularySize)
        let mask = try T5Inputs.mask(decoderAttentionMask, name: "decoderAttentionMask", batch: batch, length: length)
        let embeddings = try shared(ids, shape: [batch, length])
        return decoder(
            embeddings: embeddings, selfMask: T5Inputs.additiveCausalMask(mask, batch: batch, length: length),
            encoder: encoderHidden, encoderMask: encoderMask)
    }

    /// Vocabulary logits `[..., vocab]` from decoder hidden states `[..., d_model]`: through `lm_head`,
    /// or, when tied, `(h · d_model^-0.5) · sharedᵀ`.
    public func lmLogits(_ hidden: Tensor) -> Tensor {
        if let lmHead { return lmHead(hidden) }
        return (hidden * outputScale).matmul(shared.weight.tensor, transposeOther: true)
    }

    /// `d_model^-0.5`, the tied-embedding rescale (computed in f64 and rounded, as Python's float).
    var outputScale: Float { Float(pow(Double(configuration.modelDimension), -0.5)) }

    /// transformers' `_shift_right`: `[decoder_start] + labels[:-1]`, with `-100` replaced by `pad_token_id`.
    public func shiftRight(_ labels: [[Int]]) -> [[Int]] {
        labels.map { row in
            guard !row.isEmpty else { return row }
            let shifted = [configuration.decoderStartTokenID] + row.dropLast()
            return shifted.map { $0 == Losses.ignoreIndex ? configuration.padTokenID : $0 }
        }
    }

    // MARK: - Linear slots

    /// Puts `layer` in the projection slot at `path` (as listed by `linearLayers()`), checking that
    /// it maps the same numbers of features.
    /// - Throws: ``ModelError/invalidInput(_:)`` when no slot has that path or the features differ.
    public func replaceLinear(at path: String, with layer: any LinearLayer) throws {
        guard let current = linearLayers().first(where: { $0.path == path })?.layer else {
            throw ModelError.invalidInput("no linear layer at \"\(path)\"")
        }
        try Self.checkFeatures(current, layer, path)
        try replaceLinearLayers(where: { $0 == path }, with: { _, _ in layer })
    }

    private static func checkFeatures(_ current: any LinearLayer, _ replacement: any LinearLayer, _ path: String) throws
    {
        guard current.inFeatures == replacement.inFeatures, current.outFeatures == replacement.outFeatures else {
            throw ModelError.invalidInput(
                "\(path) maps \(current.inFeatures) → \(current.outFeatures) features; the replacement maps \(replacement.inFeatures) → \(replacement.outFeatures)"
            )
        }
    }
}
