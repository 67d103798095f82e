import DetoxNN

extension DropoutSeeds {
    /// The dropout seeds of a model built with `seed`: `seed + n·φ` for the n-th dropout (n from
    /// 1, φ the 64-bit golden ratio), so neighbouring dropouts draw unrelated streams. Every family
    /// (T5, GPT-2, GPT-Neo, Llama, Qwen2) uses this progression.
    static func model(seed: UInt64) -> DropoutSeeds {
        let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
        return DropoutSeeds(first: seed &+ golden, stride: golden)
    }
}
