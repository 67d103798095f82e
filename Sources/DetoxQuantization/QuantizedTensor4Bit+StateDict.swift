// Provenance: bitsandbytes 0.50.2 `functional.py` `QuantState.as_dict(packed=True)` /
// `QuantState.from_dict`, `utils.py` `pack_dict_to_tensor`, and `nn/modules.py`
// `Linear4bit._save_to_state_dict`.

import Foundation

// MARK: - bitsandbytes state-dict form

extension QuantizedTensor4Bit {
    /// The entries bitsandbytes writes for a 4-bit weight saved under `prefix` (e.g. `"weight"`):
    ///
    /// - `prefix`: the packed codes, `uint8` `[⌈n/2⌉, 1]`;
    /// - `prefix.absmax`: `float32` `[blocks]`, or with double quantization the 8-bit codes,
    ///   `uint8` `[blocks]`;
    /// - `prefix.quant_map`: the 16 code values, `float32`;
    /// - with double quantization, `prefix.nested_absmax` (`float32` `[⌈blocks/256⌉]`) and
    ///   `prefix.nested_quant_map` (the 256-value dynamic map);
    /// - `prefix.quant_state.bitsandbytes__nf4` (or `__fp4`): `uint8` bytes of a JSON object with
    ///   `quant_type`, `blocksize`, `dtype`, `shape` and, nested, `nested_blocksize`,
    ///   `nested_dtype`, `nested_offset`, written as Python's `json.dumps` writes it.
    public func bitsandbytesStateDict(prefix: String = "weight") -> [String: BitsandbytesTensor] {
        var entries: [String: BitsandbytesTensor] = [
            prefix: .uint8(packed, shape: [packed.count, 1]),
            "\(prefix).quant_map": .float32(type.codeTable, shape: [16]),
        ]
        switch scales {
        case .float32(let absmax):
            entries["\(prefix).absmax"] = .float32(absmax, shape: [absmax.count])
        case .doubleQuantized(let nested):
            entries["\(prefix).absmax"] = .uint8(nested.codes, shape: [nested.codes.count])
            entries["\(prefix).nested_absmax"] = .float32(nested.nestedAbsmax, shape: [nested.nestedAbsmax.count])
            entries["\(prefix).nested_quant_map"] = .float32(DynamicQuantizationMap.values, shape: [256])
        }
        let json = Array(quantStateJSON().utf8)
        entries["\(prefix).quant_state.bitsandbytes__\(type.rawValue)"] = .uint8(json, shape: [json.count])
        return entries
    }

    /// The non-tensor quantization state as `json.dumps` writes it (keys in bitsandbytes' order).
    public func quantStateJSON() -> String {
        var fields = [
            "\"quant_type\": \"\(type.rawValue)\"",
            "\"blocksize\": \(blocksize)",
            "\"dtype\": \"float32\"",
            "\"shape\": [\(shape.map(String.init).joined(separator: ", "))]",
        ]
        if case .doubleQuantized(let nested) = scales {
            fields.append("\"nested_blocksize\": \(DoubleQuantizedAbsmax.nestedBlocksize)")
            fields.append("\"nested_dtype\": \"float32\"")
            fields.append("\"nested_offset\": \(Double(nested.offset).description)")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Reads a 4-bit weight saved by bitsandbytes (`Linear4bit.state_dict()`, or a transformers
    /// checkpoint quantized with `bnb_4bit_*`) from its entries under `prefix`.
    ///
    /// The original `dtype` may be any float type (the values dequantize to f32 here); the nested
    /// block size must be 256, as bitsandbytes' own matmul requires.
    ///
    /// - Throws: ``QuantizationError/invalidStateDict(key:reason:)`` for a missing, mistyped or
    ///   malformed entry; the component checks of ``init(packed:shape:type:blocksize:scales:)``.
    public init(bitsandbytesStateDict entries: [String: BitsandbytesTensor], prefix: String = "weight") throws {
        let stateKeys = entries.keys.filter { $0.hasPrefix("\(prefix).quant_state.bitsandbytes__") }
        guard stateKeys.count == 1, let stateKey = stateKeys.first else {
            throw QuantizationError.invalidStateDict(
                key: "\(prefix).quant_state.bitsandbytes__<nf4|fp4>",
                reason: "expected exactly one packed quant_state entry, found \(stateKeys.count)")
        }
        let blob = try Self.bytes(entries, stateKey)
        guard let object = try? JSONSerialization.jsonObject(with: Data(blob)) as? [String: Any] else {
            throw QuantizationError.invalidStateDict(key: stateKey, reason: "not a JSON object")
        }
        guard let typeName = object["quant_type"] as? String else {
            throw QuantizationError.invalidStateDict(key: stateKey, reason: "quant_type is missing")
        }
        let type = try FourBitType(name: typeName)
        guard stateKey.hasSuffix("__\(typeName)") else {
            throw QuantizationError.invalidStateDict(key: stateKey, reason: "key names another type than \(typeName)")
        }
        guard let blocksize = object["blocksize"] as? Int else {
            throw QuantizationError.invalidStateDict(key: stateKey, reason: "blocksize is missing")
        }
        guard let shape = object["shape"] as? [Int] else {
            throw QuantizationError.invalidStateDict(key: stateKey, reason: "shape is missing")
        }
        let packed = try Self.bytes(entries, prefix)
        let scales: Scales
        if let nestedOffset = object["nested_offset"] as? Double {
            let nestedBlocksize = object["nested_blocksize"] as? Int
            guard nestedBlocksize == DoubleQuantizedAbsmax.nestedBlocksize else {
                throw QuantizationError.invalidStateDict(
                    key: stateKey,
                    reason: "nested_blocksize \(nestedBlocksize.map(String.init) ?? "missing") is not 256")
            }
            let codes = try Self.bytes(entries, "\(prefix).absmax")
            let nestedAbsmax = try Self.floats(entries, "\(prefix).nested_absmax")
            if let map = entries["\(prefix).nested_quant_map"], case .float32(let values, _) = map,
                values.map(\.bitPattern) != DynamicQuantizationMap.values.map(\.bitPattern)
            {
                throw QuantizationError.invalidStateDict(
                    key: "\(prefix).nested_quant_map", reason: "is not bitsandbytes' 8-bit dynamic map")
            }
            scales = .doubleQuantized(
                try DoubleQuantizedAbsmax(codes: codes, nestedAbsmax: nestedAbsmax, offset: Float(nestedOffset)))
        } else {
            scales = .float32(try Self.floats(entries, "\(prefix).absmax"))
        }
        if let map = entries["\(prefix).quant_map"], case .float32(let values, _) = map,
            values.map(\.bitPattern) != type.codeTable.map(\.bitPattern)
        {
            throw QuantizationError.invalidStateDict(key: "\(prefix).quant_map", reason: "is not the \(typeName) table")
        }
        try self.init(packed: packed, shape: shape, type: type, blocksize: blocksize, scales: scales)
    }

    private static func bytes(_ entries: [String: BitsandbytesTensor], _ key: String) throws -> [UInt8] {
        guard let entry = entries[key] else { throw QuantizationError.invalidStateDict(key: key, reason: "missing") }
        guard case .uint8(let values, _) = entry else {
            throw QuantizationError.invalidStateDict(key: key, reason: "expected uint8, found \(entry.dtypeName)")
        }
        return values
    }

    private static func floats(_ entries: [String: BitsandbytesTensor], _ key: String) throws -> [Float] {
        guard let entry = entries[key] else { throw QuantizationError.invalidStateDict(key: key, reason: "missing") }
        guard case .float32(let values, _) = entry else {
            throw QuantizationError.invalidStateDict(key: key, reason: "expected float32, found \(entry.dtypeName)")
        }
        return values
    }
}
