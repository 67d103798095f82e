// One PPO step (TRL's legacy `PPOTrainer.step`) on a tiny T5 policy: LoRA adapters, a value head,
// sampled responses and a made-up score per response.
import DetoxLoRA
import DetoxModels
import DetoxTensor
import DetoxTraining

let configuration = try T5Configuration(
    vocabularySize: 32, modelDimension: 16, keyValueDimension: 4, feedForwardDimension: 32,
    encoderLayerCount: 1, decoderLayerCount: 1, headCount: 4, relativeAttentionBucketCount: 8,
    relativeAttentionMaxDistance: 16)
let model = try T5ForConditionalGeneration(configuration: configuration, seed: 7)
var generator = SeededGenerator(seed: 1)
try LoRA.apply(LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["q", "v"])), to: model, generator: &generator)

// The trainer sees only the `PolicyLanguageModel` protocol; the reference policy is this one with
// its adapters off, so no second copy of the model is kept.
let policy = model.withValueHead(seed: 2)
var settings = PPOConfiguration(batchSize: 4, miniBatchSize: 2)
settings.learningRate = 1e-3
let trainer = try PPOTrainer(policy: policy, configuration: settings)

// Rollouts: unpadded queries in, one sampled response per query out.
let queries = [[5, 9, 12, 1], [7, 3, 1], [8, 8, 2, 6, 1], [4, 1]]
let responses = try policy.model.generateResponses(
    queries: queries, configuration: .sampling(maxNewTokens: 4, minNewTokens: 4, seed: 3), generator: &generator)
// A reward model would score the decoded text; here, the number of even token ids.
let scores = responses.map { Float(policy.model.generatedTokens(of: $0).filter { $0 % 2 == 0 }.count) }

let statistics = try trainer.step(PPOBatch(queries: queries, responses: responses, scores: scores))
for key in ["ppo/mean_scores", "objective/kl", "ppo/loss/total", "ppo/policy/clipfrac"] {
    print(key, statistics[key] ?? .nan)
}
// ppo/mean_scores 3.25
// objective/kl 0.0 (LoRA B starts at zero, so at the first step the policy is its reference)
// ppo/loss/total 0.520134449005127
// ppo/policy/clipfrac 0.0

// The arithmetic underneath is public too (`PPOMath` also has the KL penalties, rewards, GAE and
// the clipped losses): masked whitening, and the adaptive KL controller.
let rewards = Tensor([0, 0, 1, 0, 0, -1], shape: [2, 3])
print(try PPOMath.maskedWhiten(rewards, Tensor.ones([2, 3])).values) // [0.0, 0.0, 1.5811387, 0.0, 0.0, -1.5811387]
var controller = KLController.adaptive(initial: 0.2, target: 6, horizon: 10_000)
controller.update(current: 9, nSteps: 256)
// 0.201024 = 0.2 × (1 + 0.2 × 256 / 10000): the proportional error 9 / 6 − 1 is clipped to 0.2.
print(controller.value)
