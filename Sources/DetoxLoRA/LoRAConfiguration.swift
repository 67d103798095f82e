import Foundation

/// PEFT's `LoraConfig`, read from and written to `adapter_config.json` (peft 0.13.2 field names).
public struct LoRAConfiguration: Sendable, Equatable {
    /// Which modules get adapters: a list of names (a module matches when its path equals a name or
    /// ends with `.` + name) or one regular expression that must match the whole path.
    public enum Targets: Sendable, Equatable {
        case names([String])
        case pattern(String)
        /// PEFT's `target_modules=None`: the modules PEFT adapts by default in a model of the given
        /// `model_type` (``LoRAConfiguration/defaultTargetNames``); ``LoRAConfiguration/resolvingTargets(modelType:)``
        /// turns it into their names before the adapter is applied.
        case familyDefault

        /// The module names (a pattern as its one element; none for the family default), as flags
        /// and recipes list them.
        public var names: [String] {
            switch self {
            case .names(let names): return names
            case .pattern(let pattern): return [pattern]
            case .familyDefault: return []
            }
        }

        var jsonValue: Any {
            switch self {
            case .names(let names): return names
            case .pattern(let pattern): return pattern
            case .familyDefault: return NSNull()
            }
        }
    }

    /// peft 0.13.2's `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` (peft/utils/constants.py)
    /// for the `model_type`s Detox loads: what `get_peft_model` adapts when no target modules are given.
    public static let defaultTargetNames: [String: [String]] = [
        "t5": ["q", "v"], "mt5": ["q", "v"], "gpt2": ["c_attn"], "gpt_neo": ["q_proj", "v_proj"],
        "llama": ["q_proj", "v_proj"], "qwen2": ["q_proj", "v_proj"], "bert": ["query", "value"],
        "roberta": ["query", "value"], "electra": ["query", "value"],
    ]

    /// This configuration with ``Targets/familyDefault`` replaced by the default names of
    /// `modelType` (``defaultTargetNames``), as PEFT's `_prepare_adapter_config`; other targets
    /// are kept.
    /// - Throws: ``LoRAError/invalidSetting(name:reason:)`` (`targets`) for a model type without a default.
    public func resolvingTargets(modelType: String) throws -> LoRAConfiguration {
        guard targets == .familyDefault else { return self }
        guard let names = Self.defaultTargetNames[modelType] else {
            throw LoRAError.invalidSetting(
                name: "targets", reason: "PEFT has no default target modules for model type \"\(modelType)\"; name them"
            )
        }
        var resolved = self
        resolved.targets = .names(names)
        return resolved
    }

    public var rank: Int = 8
    public var alpha: Float = 8
    public var dropout: Float = 0
    public var targets: Targets = .names(["q", "v"])
    public var useRSLoRA = false
    /// Only `"none"` is supported (no bias training).
    public var bias = "none"
    public var taskType: String? = "SEQ_2_SEQ_LM"
    public var baseModelNameOrPath: String?
    public var inferenceMode = true
    /// Fields of the file that Detox does not interpret, kept so a round trip loses nothing.
    public var otherFields: [String: AnyCodableValue] = [:]

    public init(
        rank: Int = 8, alpha: Float = 8, dropout: Float = 0, targets: Targets = .names(["q", "v"]),
        useRSLoRA: Bool = false, taskType: String? = "SEQ_2_SEQ_LM", baseModelNameOrPath: String? = nil
    ) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.useRSLoRA = useRSLoRA
        self.taskType = taskType
        self.baseModelNameOrPath = baseModelNameOrPath
    }

    /// Whether the module at `path` gets an adapter, with PEFT's `check_target_module_exists` rules.
    public func targets(path: String) -> Bool {
        switch targets {
        case .names(let names):
            return names.contains { path == $0 || path.hasSuffix("." + $0) }
        case .pattern(let pattern):
            guard let regex = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return false }
            return regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
        case .familyDefault:
            return false
        }
    }

    /// The first setting an adapter cannot be built with, named as recipes name it (`rank`,
    /// `alpha`, `dropout`): rank at least 1, alpha positive and finite, dropout in [0, 1). The
    /// adapter file reader, ``LoRA/apply(_:to:generator:)``, the command-line flags and recipes all
    /// apply these rules.
    public var invalidSetting: (name: String, reason: String)? {
        if rank < 1 { return ("rank", "expected a positive integer, found \(rank)") }
        if !(alpha > 0 && alpha.isFinite) { return ("alpha", "expected a positive number, found \(alpha)") }
        if !(dropout >= 0 && dropout < 1) { return ("dropout", "expected a value in [0, 1), found \(dropout)") }
        return nil
    }

    /// The `adapter_config.json` key of each setting ``invalidSetting`` names.
    static let fileKeys = ["rank": "r", "alpha": "lora_alpha", "dropout": "lora_dropout"]

    // MARK: - adapter_config.json

    static let knownKeys: Set<String> = [
        "peft_type", "r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "bias",
        "task_type", "base_model_name_or_path", "inference_mode",
    ]

    /// `LoraConfig` fields that change what an adapter computes and that Detox does not implement;
    /// a file that sets one is refused rather than loaded differently from PEFT.
    static let unsupportedFeatures: Set<String> = [
        "use_dora", "rank_pattern", "alpha_pattern", "modules_to_save", "layers_to_transform", "layers_pattern",
        "layer_replication", "megatron_config",
    ]

    /// Whether `value` leaves a feature off: `null`, an empty list or mapping, or `false` for a
    /// boolean feature.
    static func isUnset(_ value: Any, booleanFeature: Bool) -> Bool {
        switch value {
        case is NSNull: return true
        case let list as [Any]: return list.isEmpty
        case let mapping as [String: Any]: return mapping.isEmpty
        default: return booleanFeature && (value as? Bool) == false
        }
    }

    /// Reads `adapter_config.json`, checking the fields Detox needs. A `target_modules` that is
    /// `null` or absent reads as ``Targets/familyDefault``, as PEFT keeps it until it knows the
    /// model (``LoRA/load(from:into:modelType:)`` resolves it).
    public init(contentsOf url: URL) throws {
        let file = url.path
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
                throw LoRAError.invalidConfiguration(file: file, key: "$", reason: "expected a JSON object")
            }
            object = parsed
        } catch let error as LoRAError {
            throw error
        } catch {
            throw LoRAError.invalidConfiguration(
                file: file, key: "$", reason: "unreadable JSON (\(error.localizedDescription))")
        }
        func number(_ key: String, default value: Double?) throws -> Double {
            guard let raw = object[key], !(raw is NSNull) else {
                guard let value else { throw LoRAError.invalidConfiguration(file: file, key: key, reason: "missing") }
                return value
            }
            guard let n = raw as? NSNumber else {
                throw LoRAError.invalidConfiguration(file: file, key: key, reason: "expected a number")
            }
            return n.doubleValue
        }
        if let type = object["peft_type"] as? String, type != "LORA" {
            throw LoRAError.invalidConfiguration(
                file: file, key: "peft_type", reason: "expected \"LORA\", found \"\(type)\"")
        }
        let r = try number("r", default: 8)
        guard r >= 1, r == r.rounded() else {
            throw LoRAError.invalidConfiguration(
                file: file, key: "r", reason: "expected a positive integer, found \(r)")
        }
        rank = Int(r)
        alpha = Float(try number("lora_alpha", default: 8))
        dropout = Float(try number("lora_dropout", default: 0))
        if let (name, reason) = invalidSetting {
            throw LoRAError.invalidConfiguration(file: file, key: Self.fileKeys[name] ?? name, reason: reason)
        }
        switch object["target_modules"] {
        case let names as [String]: targets = .names(names)
        case let pattern as String: targets = .pattern(pattern)
        // PEFT keeps `None` and resolves it for the model's `model_type` when it injects the adapter.
        case nil, is NSNull: targets = .familyDefault
        default:
            throw LoRAError.invalidConfiguration(
                file: file, key: "target_modules", reason: "expected a list of names or a pattern")
        }
        if let value = object["use_rslora"], !(value is NSNull) {
            guard let flag = value as? Bool else {
                throw LoRAError.invalidConfiguration(file: file, key: "use_rslora", reason: "expected true or false")
            }
            useRSLoRA = flag
        }
        bias = object["bias"] as? String ?? "none"
        guard bias == "none" else {
            throw LoRAError.invalidConfiguration(
                file: file, key: "bias", reason: "only \"none\" is supported, found \"\(bias)\"")
        }
        taskType = object["task_type"] as? String
        baseModelNameOrPath = object["base_model_name_or_path"] as? String
        inferenceMode = object["inference_mode"] as? Bool ?? true
        for key in LoRAConfiguration.unsupportedFeatures.sorted() {
            guard let value = object[key], !LoRAConfiguration.isUnset(value, booleanFeature: key == "use_dora") else {
                continue
            }
            throw LoRAError.invalidConfiguration(
                file: file, key: key,
                reason:
                    "this PEFT feature is not implemented by Detox; the adapter would not compute what PEFT computes")
        }
        for (key, value) in object where !LoRAConfiguration.knownKeys.contains(key) {
            otherFields[key] = AnyCodableValue(value)
        }
    }

    /// The file PEFT writes: every field of peft 0.13.2's `LoraConfig` with its default unless set
    /// here, keys sorted, two-space indentation.
    public func jsonData() throws -> Data {
        var object = LoRAConfiguration.peftDefaults()
        for (key, value) in otherFields { object[key] = value.jsonObject }
        object["peft_type"] = "LORA"
        object["r"] = rank
        if alpha == alpha.rounded() {
            object["lora_alpha"] = Int(alpha)
        } else {
            object["lora_alpha"] = Double(alpha)
        }
        object["lora_dropout"] = Double(dropout)
        object["target_modules"] = targets.jsonValue
        object["use_rslora"] = useRSLoRA
        object["bias"] = bias
        object["task_type"] = taskType ?? NSNull()
        object["base_model_name_or_path"] = baseModelNameOrPath ?? NSNull()
        object["inference_mode"] = inferenceMode
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Defaults of the fields PEFT 0.13.2 writes that Detox does not set.
    static func peftDefaults() -> [String: Any] {
        [
            "alpha_pattern": [String: Any](), "auto_mapping": NSNull(), "fan_in_fan_out": false,
            "init_lora_weights": true, "layer_replication": NSNull(), "layers_pattern": NSNull(),
            "layers_to_transform": NSNull(), "loftq_config": [String: Any](), "megatron_config": NSNull(),
            "megatron_core": "megatron.core", "modules_to_save": NSNull(), "rank_pattern": [String: Any](),
            "revision": NSNull(), "use_dora": false,
        ]
    }
}

/// A JSON value kept verbatim.
///
/// `@unchecked Sendable`: `jsonObject` is what `JSONSerialization` produced (strings, numbers,
/// `NSNull`, and arrays and dictionaries of them), never mutated after construction.
public struct AnyCodableValue: @unchecked Sendable, Equatable {
    let jsonObject: Any
    private let canonical: Data

    init(_ value: Any) {
        jsonObject = value
        canonical = (try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])) ?? Data()
    }

    public static func == (lhs: AnyCodableValue, rhs: AnyCodableValue) -> Bool { lhs.canonical == rhs.canonical }
}
