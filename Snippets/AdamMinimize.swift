// Minimizes a small least-squares loss with AdamW and a warm-up schedule: the training-step shape
// every Detox trainer follows (backward, clip, schedule, step).
import DetoxNN
import DetoxOptimizers
import DetoxTensor

// One trainable parameter; a module's `trainableParameters()` gives the same named list.
let weight = Parameter(Tensor([0, 0, 0]))
let target = Tensor([1, -2, 3])

// `decoupledWeightDecay: true` is torch.optim.AdamW; without it, torch.optim.Adam (an L2 term).
let optimizer = try Adam(
    parameters: [("weight", weight)], learningRate: 0.1, weightDecay: 0.01, decoupledWeightDecay: true)
let schedule = try LearningRateSchedule.linear(warmupSteps: 10, totalSteps: 200)

for step in 0..<200 {
    let difference = weight.tensor - target
    let loss = (difference * difference).sum()
    var grads = try loss.backward()
    optimizer.clipGradientNorm(&grads, maxNorm: 1.0)
    optimizer.applySchedule(schedule)
    try optimizer.step(grads: grads)
    if step % 50 == 0 { print(step, loss.item) } // 0 14.0, 50 0.06627426, 100 2.5732152e-05, 150 3.5762212e-05
}
print(weight.tensor.values) // [0.99960804, -1.998163, 2.9939308]: the target, less a little decay

// Moments and step counts, under PyTorch's names, for a checkpoint.
print(optimizer.state().metadata.kind, optimizer.stepCount) // adamw 200
