// Port of transformers' `AutoModel.from_pretrained` for a bare `BertModel`, `ElectraModel` or
// `RobertaModel` (src/transformers/modeling_utils.py `_load_pretrained_model`, v4.46.3), with
// sentence-transformers' mean pooling (`models/Pooling.py`) and `Normalize`
import DetoxNN
import DetoxTensor
import Foundation

/// A bare BERT, ELECTRA or RoBERTa encoder loaded as a model — a sentence-transformers encoder
/// such as all-MiniLM-L6-v2 — giving hidden states and sentence embeddings.
///
/// The folder is read as transformers reads it: keys as stored (`embeddings.word_embeddings.weight`,
/// `encoder.layer.0.…`, and `pooler.dense.*` when saved with a pooler), or under the family's
/// prefix (`bert.embeddings.…`) when the checkpoint came from a model with a head. Parameters
/// keep the un-prefixed names `BertModel.state_dict()` has, and the linear layers can be swapped
/// like any other model's.
public final class TextEncoder: LinearContainer {
    /// The transformers classes a loadable folder's `architectures` may name.
    public static let supportedArchitectures = BertConfiguration.Family.allCases.map(\.baseModelArchitecture)

    public let configuration: BertConfiguration
    /// The encoder; its children are this model's.
    public let model: BertModel

    init(configuration: BertConfiguration, model: BertModel) {
        self.configuration = configuration
        self.model = model
    }

    public var namedChildren: [(name: String, module: any Module)] { model.namedChildren }

    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        model.replaceLinear(named: name, with: layer)
    }

    // MARK: - Loading

    /// Reads `config.json` and the weights of `folder`, in evaluation mode (dropout off).
    ///
    /// The family comes from `architectures` (`BertModel`, `ElectraModel`, `RobertaModel`), or from
    /// `model_type` when the file names no architecture.
    /// - Throws: ``ModelError/unsupportedModelType(file:modelType:supported:)`` naming the
    ///   `architectures` (or `model_type`) found; ``ModelError/missingFile(folder:name:)``;
    ///   ``ModelError/invalidConfiguration(file:key:reason:)``; ``ModelError/missingTensor(source:key:)``
    ///   and ``ModelError/shapeMismatch(source:key:expected:actual:)`` for the weights;
    ///   `NNError.stateMismatch` listing checkpoint keys the encoder does not have.
    public static func load(folder url: URL) throws -> TextEncoder {
        let folder = ModelFolder(url)
        let file = folder.configURL.path
        let (modelType, architectures) = try folder.modelType()
        let families = BertConfiguration.Family.allCases
        if let architectures, !architectures.isEmpty {
            guard
                let family = families.first(where: { architectures.contains($0.baseModelArchitecture) }),
                family.rawValue == modelType
            else {
                throw ModelError.unsupportedModelType(
                    file: file, modelType: architectures.joined(separator: ", "), supported: supportedArchitectures)
            }
        } else if BertConfiguration.Family(rawValue: modelType) == nil {
            throw ModelError.unsupportedModelType(
                file: file, modelType: modelType, supported: families.map(\.rawValue))
        }
        let configuration = try BertConfiguration(jsonData: try folder.configData(), file: file)
        let (weights, source) = try folder.weights()
        return try load(configuration: configuration, weights: weights, source: source)
    }

    /// Builds the encoder `configuration` describes straight from `weights`, keyed with or without
    /// the family prefix. The non-persistent `embeddings.position_ids` / `token_type_ids` buffers
    /// and TensorFlow-era `gamma` / `beta` names are handled as for classifiers; BERT and RoBERTa
    /// get a pooler when the checkpoint has one. `source` names the weights in errors.
    public static func load(configuration: BertConfiguration, weights: [String: Tensor], source: String) throws
        -> TextEncoder
    {
        let family = configuration.family
        // transformers' `has_prefix_module`: a checkpoint saved from a model with a head keeps the
        // encoder under `bert.` (or `electra.`, `roberta.`), and a bare model reads it from there.
        // The head's weights (`classifier.*`, `cls.*`, …) are not the encoder's, and are left out as
        // transformers leaves them; in an unprefixed checkpoint every key must be the encoder's.
        let prefix = family.checkpointPrefix
        let isPrefixed = weights.keys.contains { $0.hasPrefix("\(prefix).") }
        let root = isPrefixed ? "\(prefix)." : ""
        let encoderWeights = isPrefixed ? weights.filter { $0.key.hasPrefix(root) } : weights
        let builder = WeightBuilder(
            checkpoint: SequenceClassifierModel.normalizedKeys(
                encoderWeights, dropping: ["\(root)embeddings.position_ids", "\(root)embeddings.token_type_ids"]),
            source: source, dropoutSeeds: DropoutSeeds(first: 0))
        let scope = isPrefixed ? builder.scoped(prefix) : builder
        let model = try ModelError.building {
            try BertModel(
                configuration: configuration, pooler: family != .electra && BertModel.hasPooler(scope), weights: scope)
        }
        try SequenceClassifierModel.rejectUnused(builder)
        model.setTraining(false)
        return TextEncoder(configuration: configuration, model: model)
    }

    // MARK: - Outputs

    /// The last layer's hidden states, `[batch, length, hidden]` (transformers' `last_hidden_state`),
    /// computed without recording gradients.
    public func hiddenStates(_ batch: ClassifierBatch) throws -> Tensor {
        try Tensor.withNoGrad { try model(batch).sequence }
    }

    /// One embedding per row, `[batch, hidden]`: the mean of the row's hidden states over the
    /// positions its attention mask keeps (sentence-transformers' mean pooling), and with
    /// `normalize` divided by its L2 norm (`Normalize`, `F.normalize` with eps 1e-12).
    public func embeddings(_ batch: ClassifierBatch, normalize: Bool = false) throws -> Tensor {
        let hidden = try hiddenStates(batch)
        let (rows, length, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
        // `ClassifierBatch` guarantees a 0/1 mask of the ids' shape.
        let states = hidden.values
        var pooled = [Float](repeating: 0, count: rows * width)
        for (r, mask) in batch.attentionMask.enumerated() {
            let row = r * width
            for t in 0..<length where mask[t] == 1 {
                let state = (r * length + t) * width
                for j in 0..<width { pooled[row + j] += states[state + j] }
            }
            // sentence-transformers clamps the token count at 1e-9.
            let count = max(Float(mask.reduce(0, +)), 1e-9)
            for j in 0..<width { pooled[row + j] /= count }
            if normalize {
                var squares: Float = 0
                for j in 0..<width { squares += pooled[row + j] * pooled[row + j] }
                let norm = max(squares.squareRoot(), 1e-12)
                for j in 0..<width { pooled[row + j] /= norm }
            }
        }
        return Tensor(pooled, shape: [rows, width])
    }
}
