import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxQuantization
import DetoxTensor
import DetoxTokenizers
import Foundation

/// How the frozen base weights are stored while an adapter trains.
public enum BaseQuantization: String, Sendable, Codable, CaseIterable {
    case none, nf4, fp4
}

/// Loading a policy's language model as the stages need it: base weights (optionally 4-bit), an
/// adapter (new, or read from a PEFT folder), and its tokenizer. The family comes from the folder's
/// `config.json` (``LanguageModelLoader``).
public enum PolicyLoading {
    /// Replaces every linear layer of the model with a frozen 4-bit layer, except those the family
    /// keeps in full precision (``LanguageModel/keepsFullPrecision(linearAt:)``: the output projection,
    /// as bitsandbytes' default skip list, and for T5 the feed-forward `wo` projections, as
    /// transformers' `_keep_in_fp32_modules = ["wo"]`). GPT-2's ``Conv1D`` layers are quantized from
    /// their `[out, in]` view. Returns the count.
    @discardableResult
    public static func quantize(
        _ model: any LanguageModel, as mode: BaseQuantization, doubleQuantization: Bool
    ) throws -> Int {
        guard mode != .none else { return 0 }
        let type: FourBitType = mode == .nf4 ? .nf4 : .fp4
        return try model.replaceLinearLayers(
            where: { !model.keepsFullPrecision(linearAt: $0) },
            with: { _, layer in
                if let convolution = layer as? Conv1D {
                    // GPT-2's `[in, out]` weight is quantized as `[out, in]`, as transformers'
                    // bitsandbytes path transposes a `Conv1D` weight before quantizing it.
                    return try Linear4Bit(
                        weight: convolution.denseWeight, bias: convolution.denseBias, type: type,
                        doubleQuantization: doubleQuantization)
                }
                guard let linear = layer as? Linear else { return layer }
                return try Linear4Bit(linear: linear, type: type, doubleQuantization: doubleQuantization)
            }
        ).count
    }

    /// Loads `folder`'s language model and tokenizer, quantizes the base when asked, then applies the adapter in
    /// `adapterFolder` (PEFT format) or, when `newAdapter` is given, a fresh one, its
    /// ``LoRAConfiguration/Targets/familyDefault`` targets resolved for the model's family as PEFT
    /// does (the returned configuration names them). With neither, the base model is returned as it is.
    public static func load(
        folder: URL, quantization: BaseQuantization = .none, doubleQuantization: Bool = true,
        adapterFolder: URL? = nil, newAdapter: LoRAConfiguration? = nil, seed: UInt64 = 0
    ) throws -> (model: any LanguageModel, tokenizer: Tokenizer, adapter: LoRAConfiguration?) {
        let model = try LanguageModelLoader.load(folder: folder)
        let tokenizer = try Tokenizer.load(from: folder)
        try quantize(model, as: quantization, doubleQuantization: doubleQuantization)
        var adapter: LoRAConfiguration?
        if let adapterFolder {
            adapter = try LoRA.load(from: adapterFolder, into: model, modelType: model.modelType)
        } else if let newAdapter {
            let resolved = try newAdapter.resolvingTargets(modelType: model.modelType)
            var generator = SeededGenerator(seed: seed)
            try LoRA.apply(resolved, to: model, generator: &generator)
            adapter = resolved
        }
        return (model, tokenizer, adapter)
    }
}
