// MARK: - FileSelection

/// Which files of a repository listing a snapshot downloads.
public enum FileSelection {
    /// Top-level configuration and tokenizer files a model needs (`config.json`,
    /// `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`,
    /// `special_tokens_map.json`, `spiece.model`, `vocab.txt`, `merges.txt`, `vocab.json`,
    /// `adapter_config.json`, `*.safetensors.index.json`, ...).
    public static let modelSupportPatterns = ["*.json", "*.model", "*.txt", "*.tiktoken"]

    /// Weight formats in order of preference: the first one the repository has is taken whole
    /// (all its shards), the others skipped.
    public static let modelWeightPatterns: [[String]] = [["*.safetensors"], ["*.bin"]]

    /// The default download set for a model: every top-level file matching
    /// `modelSupportPatterns`, plus ONE weights format: safetensors when the repository has any,
    /// else PyTorch `.bin` files. Sub-folders (`onnx/`, ...) and other frameworks' weights
    /// (`tf_model.h5`, `flax_model.msgpack`, `rust_model.ot`) are left out.
    public static func defaultModelFiles(in files: [String]) -> [String] {
        let topLevel = files.filter { !$0.contains("/") }
        let support = filter(topLevel, allow: modelSupportPatterns)
        var weights: [String] = []
        for patterns in modelWeightPatterns {
            weights = filter(topLevel, allow: patterns).filter { !$0.hasPrefix("training_args") }
            if !weights.isEmpty { break }
        }
        let chosen = Set(support + weights)
        return files.filter { chosen.contains($0) }
    }

    /// The files matching any of `allow` (all when `allow` is `nil`) and none of `ignore`
    /// (huggingface_hub `filter_repo_objects`), in listing order.
    public static func filter(_ files: [String], allow: [String]?, ignore: [String] = []) -> [String] {
        let allowed = allow?.map(GlobPattern.init)
        let ignored = ignore.map(GlobPattern.init)
        return files.filter { file in
            if let allowed, !allowed.contains(where: { $0.matches(file) }) { return false }
            return !ignored.contains(where: { $0.matches(file) })
        }
    }
}
