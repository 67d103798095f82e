import DetoxTensor

/// Checkpoint key handling shared by the decoder-only families.
enum CausalCheckpoint {
    /// `tensors` with every key (but the heads' `lm_head.` and `v_head.`) under `prefix.` when none
    /// is (a bare base-model checkpoint, as `from_pretrained` accepts for a model with a head), else
    /// unchanged.
    static func prefixed(_ tensors: [String: Tensor], with prefix: String) -> [String: Tensor] {
        guard !tensors.keys.contains(where: { $0.hasPrefix(prefix + ".") }) else { return tensors }
        return Dictionary(
            uniqueKeysWithValues: tensors.map { key, value in
                key.hasPrefix("lm_head.") || key.hasPrefix("v_head.") ? (key, value) : ("\(prefix).\(key)", value)
            })
    }
}
