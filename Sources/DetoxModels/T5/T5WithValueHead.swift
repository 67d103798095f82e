// Port of trl trl/models/modeling_value_head.py (v0.11.4), `AutoModelForSeq2SeqLMWithValueHead`
import DetoxNN
import DetoxTensor
import Foundation

/// A T5 policy with TRL's value head on the decoder's last hidden state.
///
/// The state dict is the T5 model's (unprefixed, as TRL's `state_dict()`) plus
/// `v_head.summary.weight` and `v_head.summary.bias`.
public final class T5WithValueHead: Module {
    public let model: T5ForConditionalGeneration
    public let valueHead: ValueHead

    public init(model: T5ForConditionalGeneration, valueHead: ValueHead) {
        self.model = model
        self.valueHead = valueHead
    }

    /// Wraps `model` with a fresh head (PyTorch default init from `seed`), dropout
    /// `summary_dropout_prob` from the configuration or TRL's default.
    public convenience init(model: T5ForConditionalGeneration, seed: UInt64 = 0) {
        self.init(
            model: model,
            valueHead: ValueHead(
                modelDimension: model.configuration.modelDimension,
                dropoutProbability: model.configuration.summaryDropoutProbability, seed: seed))
    }

    /// Checkpoint names of the head's tensors (``ValueHead/checkpointKeys``).
    public static var valueHeadKeys: (weight: String, bias: String) { ValueHead.checkpointKeys }

    /// Wraps `model` with the head stored in `tensors` (`v_head.summary.*`), or a fresh one when
    /// the tensors hold no head, as TRL's `from_pretrained` does (the errors of
    /// ``ValueHead/init(modelDimension:tensors:source:dropoutProbability:seed:)``).
    public convenience init(
        model: T5ForConditionalGeneration, tensors: [String: Tensor], source: String = "checkpoint", seed: UInt64 = 0
    ) throws {
        self.init(
            model: model,
            valueHead: try ValueHead(
                modelDimension: model.configuration.modelDimension, tensors: tensors, source: source,
                dropoutProbability: model.configuration.summaryDropoutProbability, seed: seed))
    }

    public var namedChildren: [(name: String, module: any Module)] {
        model.namedChildren + [(ValueHead.childName, valueHead)]
    }

    /// Logits `[B, T, vocab]`, values `[B, T]` and the decoder hidden state `[B, T, d_model]` for
    /// teacher-forced decoder inputs (TRL's `forward` returns logits, loss and values).
    public func callAsFunction(
        inputIDs: [[Int]], attentionMask: [[Int]]? = nil, decoderInputIDs: [[Int]], decoderAttentionMask: [[Int]]? = nil
    ) throws -> (logits: Tensor, values: Tensor, decoderHiddenState: Tensor) {
        let output = try model(
            inputIDs: inputIDs, attentionMask: attentionMask, decoderInputIDs: decoderInputIDs,
            decoderAttentionMask: decoderAttentionMask)
        return (output.logits, valueHead(output.decoderHiddenState), output.decoderHiddenState)
    }

    /// Teacher-forced log-probabilities of the response tokens `[B, T]` with the values `[B, T]` at
    /// the same positions (TRL's `logprobs` and `values[:, :-1]`); see
    /// ``T5ForConditionalGeneration/logProbabilities(inputIDs:attentionMask:decoderTokens:decoderAttentionMask:)``.
    public func logProbabilitiesAndValues(
        inputIDs: [[Int]], attentionMask: [[Int]]? = nil, decoderTokens: [[Int]], decoderAttentionMask: [[Int]]? = nil
    ) throws -> (logProbabilities: Tensor, values: Tensor, logits: Tensor) {
        let result = try model.logProbabilities(
            inputIDs: inputIDs, attentionMask: attentionMask,
            decoderTokens: decoderTokens, decoderAttentionMask: decoderAttentionMask)
        return (result.logProbabilities, valueHead(result.decoderHiddenState), result.logits)
    }

    /// Generation delegates to the wrapped model, as TRL's `generate` does (the head is not used).
    public func generate(
        inputIDs: [[Int]], attentionMask: [[Int]]? = nil, configuration: GenerationConfig,
        generator: inout SeededGenerator
    ) throws -> GenerationOutput {
        try model.generate(
            inputIDs: inputIDs, attentionMask: attentionMask, configuration: configuration, generator: &generator)
    }

    /// Loads a model folder; the head comes from the folder's weights when they hold
    /// `v_head.summary.*` (a TRL checkpoint), else it is freshly initialised from `seed`.
    public static func load(folder: URL, seed: UInt64 = 0) throws -> T5WithValueHead {
        let configuration = try T5Configuration.load(from: folder.appendingPathComponent("config.json"))
        let (tensors, source) = try ModelFolder(folder).weights()
        let model = try T5ForConditionalGeneration(configuration: configuration, tensors: tensors, source: source)
        return try T5WithValueHead(model: model, tensors: tensors, source: source, seed: seed)
    }
}
