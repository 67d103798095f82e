import DetoxCheckpoints
import DetoxFiles
import DetoxNN
import DetoxTensor
import Foundation

/// Applying, switching, saving, loading and merging LoRA adapters on any module tree whose blocks
/// are `LinearContainer`s (every `SlottedModule` is one, from its slot table) — PEFT's
/// `get_peft_model`, `disable_adapter`, `save_pretrained`, `PeftModel.from_pretrained` and
/// `merge_and_unload`, in PEFT's file format.
public enum LoRA {
    /// Prefix PEFT puts before module paths in adapter files (`PeftModel.base_model.model`).
    public static let filePrefix = "base_model.model."
    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"

    /// Wraps every targeted linear layer in a ``LoRALinear`` and freezes everything else, as
    /// `get_peft_model` with `bias="none"`. Returns the adapted paths.
    @discardableResult
    public static func apply(
        _ configuration: LoRAConfiguration, to model: any Module, generator: inout SeededGenerator
    ) throws -> [String] {
        if let (name, reason) = configuration.invalidSetting {
            throw LoRAError.invalidSetting(name: name, reason: reason)
        }
        guard configuration.targets != .familyDefault else {
            throw LoRAError.invalidSetting(
                name: "targets", reason: "the family default must be resolved for the model type first")
        }
        // Each adapter allocates rank × (in + out) weights: a rank wider than the layer adds
        // nothing a rank of its width lacks, and an absurd one (from a file) must not allocate.
        for (path, layer) in model.linearLayers() where configuration.targets(path: path) {
            let width = Swift.max(layer.inFeatures, layer.outFeatures)
            guard configuration.rank <= width else {
                throw LoRAError.invalidSetting(
                    name: "rank", reason: "\(configuration.rank) is wider than layer \(path) (\(width) features)")
            }
        }
        model.setTrainable(false)
        var local = generator
        let paths = try model.replaceLinearLayers(where: configuration.targets(path:)) { _, layer in
            LoRALinear(
                base: layer, rank: configuration.rank, alpha: configuration.alpha, dropout: configuration.dropout,
                useRSLoRA: configuration.useRSLoRA, generator: &local)
        }
        generator = local
        guard !paths.isEmpty else {
            var available: [String] = []
            for (path, _) in model.linearLayers() {
                let name = String(path.split(separator: ".").last ?? "")
                if !available.contains(name) { available.append(name) }
            }
            throw LoRAError.noTargetModules(targets: configuration.targets.names, available: available)
        }
        return paths
    }

    /// The adapter layers with their paths.
    public static func adapters(in model: any Module) -> [(path: String, layer: LoRALinear)] {
        model.linearLayers().compactMap { path, layer in (layer as? LoRALinear).map { (path, $0) } }
    }

    /// Switches every adapter on or off.
    public static func setEnabled(_ enabled: Bool, in model: any Module) {
        for (_, layer) in adapters(in: model) { layer.isEnabled = enabled }
    }

    /// Runs `body` with every adapter off (the frozen base model), then restores them.
    public static func withAdaptersDisabled<T>(_ model: any Module, _ body: () throws -> T) rethrows -> T {
        let layers = adapters(in: model)
        let previous = layers.map(\.layer.isEnabled)
        for (_, layer) in layers { layer.isEnabled = false }
        defer { for ((_, layer), state) in zip(layers, previous) { layer.isEnabled = state } }
        return try body()
    }

    /// The adapter weights under PEFT's file names
    /// (`base_model.model.encoder.block.0.layer.0.SelfAttention.q.lora_A.weight`).
    public static func adapterTensors(of model: any Module) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (path, layer) in adapters(in: model) {
            tensors["\(filePrefix)\(path).lora_A.weight"] = layer.loraA.weight.tensor.detached()
            tensors["\(filePrefix)\(path).lora_B.weight"] = layer.loraB.weight.tensor.detached()
        }
        return tensors
    }

    /// Writes `adapter_config.json` and `adapter_model.safetensors` into `folder` (created if
    /// needed), each atomically, as PEFT's `save_pretrained`. When an adapter sits on a ``Conv1D``
    /// (GPT-2's projections) the file says `fan_in_fan_out: true`, as PEFT sets it for such a layer
    /// (with a warning) before it saves. The file names the target modules, as PEFT's does once it
    /// has resolved them: an unresolved ``LoRAConfiguration/Targets/familyDefault`` is refused.
    /// - Throws: ``LoRAError/invalidSetting(name:reason:)`` (`targets`) for the unresolved default.
    public static func save(_ model: any Module, configuration: LoRAConfiguration, to folder: URL) throws {
        guard configuration.targets != .familyDefault else {
            throw LoRAError.invalidSetting(
                name: "targets", reason: "the family default must be resolved for the model type before saving")
        }
        var configuration = configuration
        if adapters(in: model).contains(where: { $0.layer.base is Conv1D }) {
            configuration.otherFields["fan_in_fan_out"] = AnyCodableValue(true)
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(file: folder.path, reason: error.localizedDescription)
        }
        try SafeTensors.write(
            adapterTensors(of: model), metadata: ["format": "pt"], to: folder.appendingPathComponent(weightsFileName))
        try AtomicFileWriter.write(
            [UInt8](try configuration.jsonData()), to: folder.appendingPathComponent(configFileName))
    }

    /// Reads an adapter folder written by PEFT or by ``save(_:configuration:to:)``, applies its
    /// configuration to `model` and loads its weights strictly: every adapter tensor must be present
    /// with its shape and no file tensor may be left over. Returns the configuration, its targets
    /// resolved.
    ///
    /// A file whose `target_modules` is `null` or absent adapts the modules PEFT adapts by default
    /// in a model of `modelType` (``LoRAConfiguration/defaultTargetNames``), as PEFT's
    /// `PeftModel.from_pretrained` does from the base model's `config.json`.
    /// - Throws: ``LoRAError/invalidConfiguration(file:key:reason:)`` (`target_modules`) for such a
    ///   file when `modelType` is `nil` or has no default, and the errors of reading and applying.
    @discardableResult
    public static func load(from folder: URL, into model: any Module, modelType: String? = nil) throws
        -> LoRAConfiguration
    {
        let configurationURL = folder.appendingPathComponent(configFileName)
        var configuration = try LoRAConfiguration(contentsOf: configurationURL)
        do {
            configuration = try configuration.resolvingTargets(modelType: modelType ?? "")
        } catch {
            throw LoRAError.invalidConfiguration(
                file: configurationURL.path, key: "target_modules",
                reason:
                    "null or absent, and PEFT has no default target modules for model type \"\(modelType ?? "unknown")\""
            )
        }
        let weightsURL = folder.appendingPathComponent(weightsFileName)
        let file = try SafeTensorsFile(url: weightsURL)
        var generator = SeededGenerator(seed: 0)
        try apply(configuration, to: model, generator: &generator)
        try loadWeights(file.tensors(), file: weightsURL.path, into: model)
        return configuration
    }

    /// Assigns adapter weights given under PEFT's names (with or without the `.default` adapter name).
    public static func loadWeights(_ tensors: [String: Tensor], file: String, into model: any Module) throws {
        var remaining = Dictionary(uniqueKeysWithValues: tensors.map { (normalizedKey($0.key), $0.value) })
        var assignments: [(Parameter, Tensor)] = []
        for (path, layer) in adapters(in: model) {
            for (suffix, parameter) in [("lora_A.weight", layer.loraA.weight), ("lora_B.weight", layer.loraB.weight)] {
                let key = "\(filePrefix)\(path).\(suffix)"
                guard let value = remaining.removeValue(forKey: key) else {
                    throw LoRAError.missingTensor(file: file, key: key)
                }
                guard value.shape == parameter.shape else {
                    throw LoRAError.shapeMismatch(file: file, key: key, expected: parameter.shape, actual: value.shape)
                }
                assignments.append((parameter, value))
            }
        }
        guard remaining.isEmpty else { throw LoRAError.unexpectedTensors(file: file, keys: remaining.keys.sorted()) }
        for (parameter, value) in assignments { parameter.assign(value) }
    }

    /// PEFT's in-memory names carry the adapter name (`lora_A.default.weight`); files drop it.
    static func normalizedKey(_ key: String) -> String {
        key.replacingOccurrences(of: ".lora_A.default.", with: ".lora_A.")
            .replacingOccurrences(of: ".lora_B.default.", with: ".lora_B.")
    }

    /// Replaces every adapter layer with its merged plain `Linear` (a ``Conv1D`` over a `Conv1D`
    /// base) (`merge_and_unload`).
    public static func mergeAndUnload(_ model: any Module) throws {
        let adapted = Set(adapters(in: model).map(\.path))
        try model.replaceLinearLayers(where: adapted.contains) { path, layer in
            guard let adapter = layer as? LoRALinear else { return layer }
            do {
                let merged = try adapter.merged()
                // A GPT-2 `Conv1D` base stays a `Conv1D`, so the merged state dict keeps its `[in, out]` layout.
                guard adapter.base is Conv1D, let bias = merged.bias?.tensor else { return merged }
                return Tensor.withNoGrad { Conv1D(weight: merged.weight.tensor.transposed(), bias: bias) }
            } catch {
                throw LoRAError.notMergeable(path: path)
            }
        }
    }
}
