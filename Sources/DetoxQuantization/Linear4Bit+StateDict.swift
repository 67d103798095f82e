// Provenance: bitsandbytes 0.50.2 `nn/modules.py` `Linear4bit._save_to_state_dict` and
// `Params4bit.from_prequantized`.

import DetoxTensor

// MARK: - bitsandbytes state-dict form

extension Linear4Bit {
    /// The layer as `Linear4bit.state_dict()` saves it: the weight's entries under `"weight"`
    /// (see ``QuantizedTensor4Bit/bitsandbytesStateDict(prefix:)``) and the bias under `"bias"`,
    /// all prefixed with `prefix` (e.g. `"encoder.block.0.layer.0.SelfAttention.q."`).
    public func bitsandbytesStateDict(prefix: String = "") -> [String: BitsandbytesTensor] {
        var entries: [String: BitsandbytesTensor] = [:]
        for (key, value) in weight.bitsandbytesStateDict(prefix: prefix + "weight") { entries[key] = value }
        if let bias { entries[prefix + "bias"] = .float32(bias.tensor.values, shape: bias.shape) }
        return entries
    }

    /// Rebuilds a layer saved by `Linear4bit.state_dict()`; the bias is read when present.
    public convenience init(bitsandbytesStateDict entries: [String: BitsandbytesTensor], prefix: String = "") throws {
        let weight = try QuantizedTensor4Bit(bitsandbytesStateDict: entries, prefix: prefix + "weight")
        var bias: Tensor?
        if let entry = entries[prefix + "bias"] {
            guard case .float32(let values, let shape) = entry else {
                throw QuantizationError.invalidStateDict(
                    key: prefix + "bias", reason: "expected float32, found \(entry.dtypeName)")
            }
            guard values.count == Tensor.elementCount(of: shape) else {
                throw QuantizationError.componentCountMismatch(
                    component: prefix + "bias", expected: Tensor.elementCount(of: shape), actual: values.count)
            }
            bias = Tensor(values, shape: shape)
        }
        try self.init(weight: weight, bias: bias)
    }
}
