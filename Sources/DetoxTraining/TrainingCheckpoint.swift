import DetoxCheckpoints
import DetoxFiles
import DetoxLoRA
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Foundation

/// A resumable training checkpoint: the trained weights (a LoRA adapter in PEFT format, or the whole
/// model as a Hugging Face model folder — see ``CheckpointWeights``), extra trained tensors (a value
/// head), the optimizer state, the random generators of every dropout layer and a small JSON trainer
/// state.
///
/// Written into a temporary sibling folder, each file flushed, then swapped into place with
/// renames, so a run killed mid-save keeps the previous checkpoint (``load(from:)`` also recovers
/// the previous one if the kill lands between the two renames).
public struct TrainingCheckpoint: Sendable {
    /// Trainer-specific counters and settings (step, epoch, KL coefficient, ...), as JSON.
    public var state: [String: Double]
    /// Free-form JSON the trainer needs back (e.g. its configuration), stored verbatim.
    public var notes: [String: String]
    /// Dropout generators by module path, for bit-identical resumption.
    public var generators: [String: SeededGenerator]
    public var optimizer: OptimizerState
    /// Trained tensors outside the adapter, by name.
    public var extraTensors: [String: Tensor]

    public init(
        state: [String: Double], notes: [String: String] = [:], generators: [String: SeededGenerator],
        optimizer: OptimizerState, extraTensors: [String: Tensor] = [:]
    ) {
        self.state = state
        self.notes = notes
        self.generators = generators
        self.optimizer = optimizer
        self.extraTensors = extraTensors
    }

    static let adapterFolder = "adapter"
    static let modelFolder = "model"
    /// The files copied from the source model folder beside a full model's weights, when present.
    public static let modelFolderFiles = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.json", "merges.txt", "tokenizer.model", "spiece.model", "added_tokens.json",
    ]
    static let optimizerTensors = "optimizer.safetensors"
    static let optimizerMetadata = "optimizer.json"
    static let extraFile = "extra.safetensors"
    static let stateFile = "trainer_state.json"

    struct StateFile: Codable {
        var state: [String: Double]
        var notes: [String: String]
        var generators: [String: SeededGenerator]
    }

    /// Writes the checkpoint and the model's adapter into `folder`, replacing what was there. Staging
    /// folders that a killed save left beside it are removed first.
    public func write(model: any Module, adapterConfiguration: LoRAConfiguration, to folder: URL) throws {
        try write(model: model, weights: .adapter(adapterConfiguration), to: folder)
    }

    /// Writes the checkpoint and `model`'s weights (as `weights` says) into `folder`, replacing what
    /// was there. Staging folders that a killed save left beside it are removed first.
    public func write(model: any Module, weights: CheckpointWeights, to folder: URL) throws {
        let fm = FileManager.default
        let parent = folder.deletingLastPathComponent()
        let stagingPrefix = ".\(folder.lastPathComponent).tmp-"
        for stale in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where stale.hasPrefix(stagingPrefix) {
            try? fm.removeItem(at: parent.appendingPathComponent(stale))
        }
        let staging = parent.appendingPathComponent(stagingPrefix + UUID().uuidString)
        let previous = parent.appendingPathComponent(".\(folder.lastPathComponent).previous")
        FaultPoint.reach("checkpoint.begin")
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            switch weights {
            case .adapter(let configuration):
                try LoRA.save(
                    model, configuration: configuration, to: staging.appendingPathComponent(Self.adapterFolder))
            case .fullModel(let source):
                try Self.saveModel(
                    model, copyingFilesFrom: source, to: staging.appendingPathComponent(Self.modelFolder))
            }
            FaultPoint.reach("checkpoint.adapter")
            try SafeTensors.write(optimizer.tensors, to: staging.appendingPathComponent(Self.optimizerTensors))
            try AtomicFileWriter.write(
                [UInt8](try optimizer.metadataJSON()), to: staging.appendingPathComponent(Self.optimizerMetadata))
            try SafeTensors.write(extraTensors, to: staging.appendingPathComponent(Self.extraFile))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let stateData = try encoder.encode(StateFile(state: state, notes: notes, generators: generators))
            try AtomicFileWriter.write([UInt8](stateData), to: staging.appendingPathComponent(Self.stateFile))
            FaultPoint.reach("checkpoint.staged")
            // Without a current folder the previous one is the only checkpoint: keep it until the
            // new one is in place.
            if fm.fileExists(atPath: folder.path) {
                try? fm.removeItem(at: previous)
                try fm.moveItem(at: folder, to: previous)
            }
            FaultPoint.reach("checkpoint.swapped")
            try fm.moveItem(at: staging, to: folder)
            try? fm.removeItem(at: previous)
        } catch {
            try? fm.removeItem(at: staging)
            throw TrainingError.checkpoint(path: folder.path, reason: "\(error)")
        }
    }

    /// Whether a checkpoint (or a previous one left by an interrupted save) exists at `folder`.
    public static func exists(at folder: URL) -> Bool {
        let previous = folder.deletingLastPathComponent().appendingPathComponent(
            ".\(folder.lastPathComponent).previous")
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent(stateFile).path)
            || FileManager.default.fileExists(atPath: previous.appendingPathComponent(stateFile).path)
    }

    /// Reads a checkpoint written by ``write(model:adapterConfiguration:to:)``. The adapter weights
    /// are read separately with ``adapterFolder(of:)`` and `LoRA.loadWeights`.
    public static func load(from folder: URL) throws -> (checkpoint: TrainingCheckpoint, folder: URL) {
        var source = folder
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent(stateFile).path) {
            source = folder.deletingLastPathComponent().appendingPathComponent(".\(folder.lastPathComponent).previous")
        }
        do {
            let stateData = try Data(contentsOf: source.appendingPathComponent(stateFile))
            let file = try JSONDecoder().decode(StateFile.self, from: stateData)
            let optimizerTensors = try SafeTensorsFile(url: source.appendingPathComponent(optimizerTensors)).tensors()
            let metadata = try Data(contentsOf: source.appendingPathComponent(optimizerMetadata))
            let optimizer = try OptimizerState(metadataJSON: metadata, tensors: optimizerTensors)
            let extra = try SafeTensorsFile(url: source.appendingPathComponent(extraFile)).tensors()
            return (
                TrainingCheckpoint(
                    state: file.state, notes: file.notes, generators: file.generators, optimizer: optimizer,
                    extraTensors: extra), source
            )
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.checkpoint(path: folder.path, reason: "cannot read checkpoint: \(error)")
        }
    }

    /// The adapter folder inside a checkpoint folder.
    public static func adapterFolder(of folder: URL) -> URL { folder.appendingPathComponent(adapterFolder) }

    /// The full model's folder inside a checkpoint folder (``CheckpointWeights/fullModel(copyingFilesFrom:)``).
    public static func modelFolder(of folder: URL) -> URL { folder.appendingPathComponent(modelFolder) }

    /// Writes `model`'s parameters to `folder/model.safetensors` under their checkpoint names (a
    /// policy's value head as TRL's `v_head.summary.*`, as its `save_pretrained` does) and copies the
    /// ``modelFolderFiles`` that `source` holds, so the folder loads like the one the model came from.
    public static func saveModel(_ model: any Module, copyingFilesFrom source: URL?, to folder: URL) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            if let source {
                for name in modelFolderFiles where fm.fileExists(atPath: source.appendingPathComponent(name).path) {
                    let data = try Data(contentsOf: source.appendingPathComponent(name))
                    try AtomicFileWriter.write([UInt8](data), to: folder.appendingPathComponent(name))
                }
            }
        } catch {
            throw TrainingError.checkpoint(path: folder.path, reason: "\(error)")
        }
        try model.save(safetensors: folder.appendingPathComponent("model.safetensors"))
    }
}

/// What a ``TrainingCheckpoint`` keeps of the model being trained.
public enum CheckpointWeights {
    /// Only the LoRA adapter, as a PEFT folder (`adapter/`).
    case adapter(LoRAConfiguration)
    /// Every parameter, as a Hugging Face model folder (`model/`: `model.safetensors` and the
    /// configuration and tokenizer files copied from the model's source folder, when given).
    case fullModel(copyingFilesFrom: URL?)
}

// MARK: - Dropout generators

extension Module {
    /// Every dropout layer below this module by path.
    public func dropoutLayers() -> [(path: String, layer: Dropout)] {
        var result: [(path: String, layer: Dropout)] = []
        var stack: [(String, any Module)] = [("", self)]
        while let (path, module) = stack.popLast() {
            if let dropout = module as? Dropout { result.append((path, dropout)) }
            for (name, child) in module.namedChildren.reversed() {
                stack.append((path.isEmpty ? name : "\(path).\(name)", child))
            }
        }
        return result
    }

    /// The generator state of every dropout layer, by path.
    public func dropoutGenerators() -> [String: SeededGenerator] {
        Dictionary(dropoutLayers().map { ($0.path, $0.layer.generator) }, uniquingKeysWith: { a, _ in a })
    }

    /// Restores dropout generator states saved by ``dropoutGenerators()``.
    public func restoreDropoutGenerators(_ generators: [String: SeededGenerator]) {
        for (path, layer) in dropoutLayers() {
            if let state = generators[path] { layer.generator = state }
        }
    }
}
