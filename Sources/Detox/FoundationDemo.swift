import Checkpoints
import Foundation
import NN
import Optimizers
import TensorCore

/// The end-to-end run `detox demo` makes while the model pipeline is being built: a small network
/// learns a nonlinear task with the whole training stack — autograd, AdamW with warmup and cosine
/// decay, gradient clipping — is saved as safetensors atomically, and is loaded back into a fresh
/// network that must give bit-identical outputs.
public enum FoundationDemo {
    /// Settings of the demo run.
    public struct Options: Sendable {
        /// Optimizer steps (full batch).
        public var steps = 600
        /// Seed for the data, the initialization and nothing else.
        public var seed: UInt64 = 7
        /// Where `model.safetensors` is written.
        public var outputFolder = URL(fileURLWithPath: "demo-out")

        public init() {}
    }

    /// What the run measured.
    public struct Summary: Sendable {
        public let initialLoss: Float
        public let finalLoss: Float
        public let accuracy: Float
        public let checkpoint: URL
        public let reloadedOutputsIdentical: Bool
        public let seconds: Double
    }

    /// Two interleaved spirals, one per class: not separable by any line.
    static func spirals(count: Int, generator: inout SeededGenerator) -> (Tensor, [Int]) {
        var points: [Float] = []
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            let t = Float(i / 2) / Float(count / 2) * 3 * .pi + 0.3
            let radius = t / (3 * .pi)
            let sign: Float = label == 0 ? 1 : -1
            points += [sign * radius * cosf(t) + 0.02 * generator.nextNormal(),
                       sign * radius * sinf(t) + 0.02 * generator.nextNormal()]
            labels.append(label)
        }
        return (Tensor(points, shape: [count, 2]), labels)
    }

    /// A 2 → 64 → 64 → 2 network with GELU and a layer norm.
    final class Classifier: Module {
        let input: Linear
        let norm: LayerNorm
        let hidden: Linear
        let output: Linear

        init(generator: inout SeededGenerator) {
            input = Linear(2, 64, generator: &generator)
            norm = LayerNorm(dimension: 64)
            hidden = Linear(64, 64, generator: &generator)
            output = Linear(64, 2, generator: &generator)
        }

        var namedChildren: [(name: String, module: any Module)] {
            [("input", input), ("norm", norm), ("hidden", hidden), ("output", output)]
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            output(hidden(norm(input(x).gelu())).gelu())
        }
    }

    public static func run(_ options: Options, log: (String) -> Void) throws -> Summary {
        let start = Date()
        var generator = SeededGenerator(seed: options.seed)
        let (points, labels) = spirals(count: 400, generator: &generator)
        let model = Classifier(generator: &generator)
        let optimizer = try AdamW(module: model, learningRate: 1e-2, weightDecay: 1e-4)
        let schedule = try LearningRateSchedule.cosine(warmupSteps: options.steps / 20, totalSteps: options.steps)

        log("training a 2-64-64-2 GELU network on two spirals (400 points, \(model.parameterCount) parameters)")
        log("step      loss   grad-norm   learning-rate")
        var initialLoss = Float.nan
        var finalLoss = Float.nan
        for step in 0..<options.steps {
            let loss = try Losses.crossEntropy(model(points), targets: labels)
            guard loss.item.isFinite else { throw NNError.nonFiniteLoss(name: "demo cross-entropy", value: loss.item) }
            if step == 0 { initialLoss = loss.item }
            finalLoss = loss.item
            var grads = try loss.backward()
            let norm = optimizer.clipGradientNorm(&grads, maxNorm: 1.0)
            optimizer.applySchedule(schedule)
            if step % (options.steps / 6) == 0 || step == options.steps - 1 {
                log(String(format: "%4d  %8.4f  %10.4f   %.2e", step, loss.item, norm, optimizer.learningRate))
            }
            try optimizer.step(grads: grads)
        }

        let logits = Tensor.withNoGrad { model(points) }
        let predictions = logits.argmax(axis: -1)
        let correct = zip(predictions, labels).filter { $0 == $1 }.count
        let accuracy = Float(correct) / Float(labels.count)

        try FileManager.default.createDirectory(at: options.outputFolder, withIntermediateDirectories: true)
        let checkpoint = options.outputFolder.appendingPathComponent("model.safetensors")
        try SafeTensors.write(model.stateDict(), metadata: ["format": "pt"], to: checkpoint)
        var other = SeededGenerator(seed: options.seed &+ 1)
        let reloaded = Classifier(generator: &other)
        try reloaded.load(SafeTensorsFile(url: checkpoint).tensors())
        let identical = Tensor.withNoGrad { reloaded(points) }.values == logits.values

        return Summary(
            initialLoss: initialLoss, finalLoss: finalLoss, accuracy: accuracy, checkpoint: checkpoint,
            reloadedOutputsIdentical: identical, seconds: Date().timeIntervalSince(start))
    }
}
