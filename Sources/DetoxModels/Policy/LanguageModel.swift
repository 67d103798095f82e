import DetoxNN
import DetoxTensor

/// A language model that a policy is built on, in whatever family: what supervised fine-tuning,
/// summarizing, evaluation and PPO rollouts need from it, with each family's input packing behind it.
///
/// Token rows cross this interface unpadded (queries, prompts, targets); how they become model inputs
/// (right-padded encoder inputs for an encoder–decoder, left-padded concatenations for a decoder-only
/// model) is the conformer's business, so the trainers and stages never depend on a family's layout.
///
/// What a conformer must guarantee:
/// - Dropout is active only after `setTraining(true)`; generation always runs without dropout and
///   without recording gradients, and restores the training mode it found.
/// - ``supervisedLoss(prompts:targets:)`` records the autograd graph when gradients are on, so its
///   result can be back-propagated into the trainable parameters (the LoRA adapters).
/// - LoRA adapters attach to this module's linear layers (`replaceLinearLayers(where:with:)`), so
///   disabling them gives the frozen model back (PPO's reference).
public protocol LanguageModel: Module {
    /// The family's `model_type` in `config.json` (`"t5"`, `"gpt2"`, `"gpt_neo"`, `"llama"`, `"qwen2"`):
    /// what PEFT keys its per-family defaults on.
    var modelType: String { get }
    /// The id that pads rows (and fills generated rows after their EOS).
    var padTokenID: Int { get }
    /// The id that ends a generated response.
    var eosTokenID: Int { get }

    /// Whether the linear layer at `path` (as `linearLayers()` lists it) stays in full precision when
    /// the rest of the base is quantized to 4 bits: the output projection (bitsandbytes' default skip
    /// list) and whatever the family keeps in f32 (transformers' `_keep_in_fp32_modules`).
    func keepsFullPrecision(linearAt path: String) -> Bool

    /// transformers' `generate`: a continuation of each row of `inputIDs`, padded as the family's
    /// tokenizer pads (`attentionMask` marks the real tokens), drawing from `generator` when sampling.
    func generate(
        inputIDs: [[Int]], attentionMask: [[Int]]?, configuration: GenerationConfig, generator: inout SeededGenerator
    ) throws -> GenerationOutput

    /// Rollouts: one response per query (unpadded token rows), in the form the family's policy reads
    /// back in ``PolicyLanguageModel/forward(queries:responses:)`` — without padding, its EOS
    /// included when one was generated. ``generatedTokens(of:)`` gives the tokens a reader sees.
    func generateResponses(queries: [[Int]], configuration: GenerationConfig, generator: inout SeededGenerator)
        throws -> [[Int]]

    /// The generated tokens of a response from ``generateResponses(queries:configuration:generator:)``
    /// (what is decoded into text), without any token the family puts in front of them.
    func generatedTokens(of response: [Int]) -> [Int]

    /// The teacher-forced mean cross-entropy of `targets` given `prompts` (unpadded rows, one target
    /// per prompt), over every target token: the loss of supervised fine-tuning.
    func supervisedLoss(prompts: [[Int]], targets: [[Int]]) throws -> Tensor

    /// This model with a freshly initialised value head (seeded), as TRL's `…WithValueHead`
    /// `from_pretrained` does for a model without one.
    func withValueHead(seed: UInt64) -> any PolicyLanguageModel
}

extension LanguageModel {
    /// ``generate(inputIDs:attentionMask:configuration:generator:)`` with a generator seeded from
    /// `configuration.seed`.
    public func generate(inputIDs: [[Int]], attentionMask: [[Int]]?, configuration: GenerationConfig) throws
        -> GenerationOutput
    {
        var generator = SeededGenerator(seed: configuration.seed)
        return try generate(
            inputIDs: inputIDs, attentionMask: attentionMask, configuration: configuration, generator: &generator)
    }
}
