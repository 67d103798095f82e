// Port of trl trl/models/modeling_value_head.py (v0.11.4), `AutoModelForCausalLMWithValueHead`, and
// trl/trainer/ppo_trainer.py `batched_forward_pass` for a decoder-only policy.
import DetoxNN
import DetoxTensor

/// A decoder-only policy with TRL's value head (dropout, then `Linear(hidden, 1)`) on the last
/// hidden state.
///
/// The state dict is the model's (unprefixed, as TRL's `state_dict()`) plus `v_head.summary.weight`
/// and `v_head.summary.bias`.
public final class CausalLMWithValueHead<Model: CausalTransformer & LanguageModel>: Module {
    public let model: Model
    public let valueHead: ValueHead

    public init(model: Model, valueHead: ValueHead) {
        self.model = model
        self.valueHead = valueHead
    }

    /// Wraps `model` with a fresh head (PyTorch's default `nn.Linear` init from `seed`); dropout
    /// `dropoutProbability`, TRL's default when `nil`.
    public convenience init(model: Model, hiddenSize: Int, dropoutProbability: Float? = nil, seed: UInt64 = 0) {
        self.init(
            model: model,
            valueHead: ValueHead(modelDimension: hiddenSize, dropoutProbability: dropoutProbability, seed: seed))
    }

    /// Wraps `model` with the head stored in `tensors` (`v_head.summary.*`, a TRL checkpoint), or
    /// a fresh one (from `seed`) when the tensors hold no head, as TRL's `from_pretrained` does (the
    /// errors of ``ValueHead/init(modelDimension:tensors:source:dropoutProbability:seed:)``).
    public convenience init(
        model: Model, hiddenSize: Int, tensors: [String: Tensor], source: String, dropoutProbability: Float? = nil,
        seed: UInt64 = 0
    ) throws {
        self.init(
            model: model,
            valueHead: try ValueHead(
                modelDimension: hiddenSize, tensors: tensors, source: source, dropoutProbability: dropoutProbability,
                seed: seed))
    }

    public var namedChildren: [(name: String, module: any Module)] {
        model.namedChildren + [(ValueHead.childName, valueHead)]
    }
}

extension CausalLMWithValueHead: PolicyLanguageModel {
    /// At least one generated token.
    public var minimumResponseLength: Int { 1 }

    /// Each query and response concatenated and left-padded (positions from the mask); column `t`
    /// of a row scores its response token `t` from the position that predicts it (`t − 1` places
    /// after the query's last token), with the value head on that position's hidden state.
    public func forward(queries: [[Int]], responses: [[Int]]) throws -> PolicyForwardPass {
        let layout = try PolicyLayout(queries: queries, responses: responses, model: model)
        let hidden = try DropoutRows.withStarts(layout.inputs.starts) {
            try model.hiddenStates(layout.inputs, cache: nil) // [B, L, d]
        }
        let width = hidden.shape[2]
        let picked = hidden.reshaped([-1, width]).indexSelect(layout.sources) // [B·T, d]
        let logits = model.logits(hidden: picked) // [B·T, vocab]
        let batch = queries.count
        let columns = layout.columns
        let logProbabilities = try TokenLogProbabilities.gather(logits, targets: layout.targets)
            .reshaped([batch, columns])
        // [B, T, d] for the head, so its dropout keys each value by (row, response column).
        let values = valueHead(picked.reshaped([batch, columns, width])).reshaped([batch, columns])
        return PolicyForwardPass(
            logProbabilities: logProbabilities, values: values,
            logits: logits.reshaped([batch, columns, model.vocabularySize]), mask: layout.mask)
    }

    public func responseMask(queries: [[Int]], responses: [[Int]]) -> Tensor {
        PolicyLayout.mask(responses: responses, columns: responses.map(\.count).max() ?? 0)
    }
}

/// Where each response token of a left-padded query+response batch is predicted.
struct PolicyLayout {
    let inputs: CausalInputs
    /// `T`, the longest response.
    let columns: Int
    /// `[B·T]`: the flat `[B·L]` position predicting each column's token (the row's last position
    /// for columns past its response).
    let sources: [Int]
    /// `[B·T]`: each column's token, `-100` past the response.
    let targets: [Int]
    /// `[B, T]` 0/1.
    let mask: Tensor

    init(queries: [[Int]], responses: [[Int]], model: some CausalTransformer) throws {
        guard queries.count == responses.count, !queries.isEmpty else {
            throw ModelError.invalidInput("\(queries.count) queries but \(responses.count) responses")
        }
        for (index, (query, response)) in zip(queries, responses).enumerated()
        where query.isEmpty || response.isEmpty {
            throw ModelError.invalidInput("row \(index): the query and the response must not be empty")
        }
        inputs = try CausalInputs.leftPadded(
            zip(queries, responses).map { $0 + $1 }, pad: model.padTokenID, vocabularySize: model.vocabularySize)
        let length = inputs.length
        columns = responses.map(\.count).max() ?? 0
        var sources: [Int] = []
        var targets: [Int] = []
        for (b, (query, response)) in zip(queries, responses).enumerated() {
            let padding = length - query.count - response.count
            for t in 0..<columns {
                let inside = t < response.count
                sources.append(b * length + (inside ? padding + query.count + t - 1 : length - 1))
                targets.append(inside ? response[t] : Losses.ignoreIndex)
            }
        }
        self.sources = sources
        self.targets = targets
        mask = Self.mask(responses: responses, columns: columns)
    }

    static func mask(responses: [[Int]], columns: Int) -> Tensor {
        Tensor(
            responses.flatMap { r in (0..<columns).map { $0 < r.count ? Float(1) : 0 } },
            shape: [responses.count, columns])
    }
}
