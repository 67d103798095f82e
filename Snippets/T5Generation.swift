// Builds a tiny T5 from a configuration and a seed, generates greedily, and scores a target the way
// supervised fine-tuning does — the same calls a checkpoint loaded from a Hugging Face folder takes.
import DetoxModels
import DetoxTensor

// A randomly initialised model (transformers' `_init_weights`, seeded). To read a real one from
// `config.json` and its weights instead: `try T5ForConditionalGeneration.load(folder: url)`.
let configuration = try T5Configuration(
    vocabularySize: 32, modelDimension: 16, keyValueDimension: 4, feedForwardDimension: 32,
    encoderLayerCount: 1, decoderLayerCount: 1, headCount: 4, relativeAttentionBucketCount: 8,
    relativeAttentionMaxDistance: 16)
let model = try T5ForConditionalGeneration(configuration: configuration, seed: 7)
print(model.parameterCount, "parameters") // 5808 parameters

// Two source rows, right-padded with the pad id (0), the mask marking the real tokens.
let inputIDs = [[5, 9, 12, 1], [7, 3, 1, 0]]
let attentionMask = [[1, 1, 1, 1], [1, 1, 1, 0]]
let output = try model.generate(
    inputIDs: inputIDs, attentionMask: attentionMask, configuration: .greedy(maxNewTokens: 5))
// Each row starts with the decoder start id (0); an untrained model repeats itself.
print(output.sequences) // [[0, 23, 23, 23, 23, 23], [0, 0, 0, 0, 0, 0]]

// Through the family-neutral `LanguageModel` protocol, which the trainers use: the teacher-forced
// mean cross-entropy of a target given its prompt (unpadded rows).
let loss = try model.supervisedLoss(prompts: [[5, 9, 12, 1]], targets: [[4, 6, 1]])
print(loss.item) // 4.9122796: nothing learnt yet
