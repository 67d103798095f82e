import DetoxDatasets
import Foundation
import Yams

/// One YAML file describing an experiment: models, dataset, prompt, each stage's settings, seed and
/// output folder. `detox run recipe.yaml` runs the stages in order into the output folder, skips
/// stages that finished with the same settings, and resumes an interrupted one from its checkpoint.
///
/// ```yaml
/// output: runs/dialogsum-t5-small
/// seed: 42
/// model: google-t5/t5-small
/// dataset: {train: datasets/knkarthick/dialogsum/train.csv, validation: ..., test: ...}
/// prompt: "\nSummarize the following conversation.\n\n{dialogue}\n\nSummary:\n"
/// stages:
///   zero_shot: {limit: 20, max_new_tokens: 64}
///   finetune: {quantize: nf4, double_quant: true, lora: {alpha: 32, dropout: 0.05, targets: [q, v]}, ...}
///   ppo: {reward_model: ..., reward_label: nothate, steps: 10, ...}
///   evaluate: {toxicity_model: ..., toxic_label: hate, count: 20, ...}
/// ```
///
/// Each section is read into its stage's settings (``SummarizeStage/Settings``, …), so a key the
/// recipe leaves out keeps the stage's own default.
public struct Recipe: Sendable {
    public var file: String
    public var output: URL
    public var seed: UInt64 = 42
    public var model: String
    public var train: String
    public var validation: String?
    public var test: String?
    public var prompt = PromptTemplate.summarize
    public var zeroShot: ZeroShot?
    public var fineTune: FineTune?
    public var ppo: PPO?
    public var evaluate: Evaluate?

    /// Reads and checks a recipe. Relative paths in it are relative to the recipe's folder.
    public init(contentsOf url: URL) throws {
        var root = try Self.parse(url)
        let base = url.deletingLastPathComponent()
        file = url.path
        guard let output = try root.string("output") else { throw root.error("output", "missing (the run folder)") }
        self.output = URL(fileURLWithPath: output, relativeTo: base).standardizedFileURL
        if let seed = try root.int("seed") {
            guard seed >= 0 else { throw root.error("seed", "must not be negative") }
            self.seed = UInt64(seed)
        }
        guard let model = try root.string("model") else { throw root.error("model", "missing (a Hub id or a folder)") }
        self.model = Self.resolve(model, in: base)
        (train, validation, test) = try Self.readDataset(&root, in: base)
        if let prompt = try root.string("prompt") {
            guard prompt.contains("{dialogue}") else { throw root.error("prompt", "must contain {dialogue}") }
            self.prompt = PromptTemplate(prompt)
        }
        if var stages = try root.child("stages") {
            try readStages(&stages, in: base)
            try stages.checkNoUnknownKeys()
        }
        try root.checkNoUnknownKeys()
        if evaluate != nil && test == nil {
            throw RecipeError.invalid(
                file: file, keyPath: "dataset.test", reason: "missing (the evaluate stage needs it)")
        }
    }

    // MARK: - Phases of reading

    /// The file's top-level mapping.
    static func parse(_ url: URL) throws -> RecipeNode {
        let file = url.path
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw RecipeError.unreadable(file: file, reason: error.localizedDescription)
        }
        // The YAML composer recurses once per level of nesting: a recipe is a few small mappings,
        // so its size and depth are capped before the text reaches it.
        guard text.utf8.count <= maximumRecipeBytes else {
            throw RecipeError.unreadable(
                file: file, reason: "\(text.utf8.count) bytes, more than a recipe's \(maximumRecipeBytes)")
        }
        let depth = flowNestingDepth(text)
        if depth > maximumNesting {
            throw RecipeError.unreadable(
                file: file, reason: "brackets nest \(depth) deep, more than a recipe's \(maximumNesting)")
        }
        let parsed: Node?
        do {
            parsed = try Yams.compose(yaml: text)
        } catch {
            throw RecipeError.unreadable(file: file, reason: "not valid YAML: \(error)")
        }
        guard let parsed, parsed.mapping != nil else {
            throw RecipeError.invalid(file: file, keyPath: "$", reason: "expected a mapping at the top")
        }
        return RecipeNode(file: file, path: "", node: parsed)
    }

    /// The largest recipe file read (block indentation can then nest at most a few hundred levels).
    static let maximumRecipeBytes = 256 * 1024
    /// The deepest nesting of flow collections (`[` and `{`) allowed.
    static let maximumNesting = 64

    /// How deep `[` and `{` nest outside quoted scalars and comments (an over-estimate is fine: it
    /// only decides whether to refuse the file).
    static func flowNestingDepth(_ text: String) -> Int {
        var depth = 0
        var deepest = 0
        var quote: UInt8?
        var escaped = false
        var comment = false
        for byte in text.utf8 {
            if comment {
                if byte == UInt8(ascii: "\n") { comment = false }
                continue
            }
            if let open = quote {
                if escaped {
                    escaped = false
                } else if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == open {
                    quote = nil
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "#"): comment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(depth - 1, 0)
            default: break
            }
        }
        return deepest
    }

    /// A path relative to the recipe's folder when a file is there, else as written (a Hub id).
    static func resolve(_ path: String, in base: URL) -> String {
        path.hasPrefix("/") || path.hasPrefix("~")
            || !FileManager.default.fileExists(atPath: base.appendingPathComponent(path).path)
            ? path : base.appendingPathComponent(path).path
    }

    /// The `dataset` section: the training file and the optional validation and test files.
    static func readDataset(_ root: inout RecipeNode, in base: URL) throws -> (String, String?, String?) {
        guard var dataset = try root.child("dataset") else { throw root.error("dataset", "missing") }
        guard let train = try dataset.string("train") else { throw dataset.error("train", "missing") }
        let validation = try dataset.string("validation").map { resolve($0, in: base) }
        let test = try dataset.string("test").map { resolve($0, in: base) }
        try dataset.checkNoUnknownKeys()
        return (resolve(train, in: base), validation, test)
    }

    /// The `stages` sections, each read into its stage's settings on top of the defaults and of
    /// the recipe's own prompt, seed and model.
    mutating func readStages(_ stages: inout RecipeNode, in base: URL) throws {
        if var node = try stages.child("zero_shot") {
            zeroShot = try ZeroShot(&node, recipe: self)
        }
        if var node = try stages.child("finetune") {
            fineTune = try FineTune(&node, recipe: self)
        }
        if var node = try stages.child("ppo") {
            ppo = try PPO(&node, recipe: self, base: base)
        }
        if var node = try stages.child("evaluate") {
            evaluate = try Evaluate(&node, recipe: self, base: base)
        }
    }
}
