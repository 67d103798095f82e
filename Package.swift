// swift-tools-version: 6.0
import PackageDescription

#if os(Linux)
let blasLinker: [LinkerSetting] = [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]
#else
let blasLinker: [LinkerSetting] = [.linkedFramework("Accelerate")]
#endif


let package = Package(
    name: "Detox",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Detox", targets: ["Detox"]),
        .executable(name: "detox", targets: ["detox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            providers: [.apt(["libdnnl-dev"])]
        ),
        .target(name: "CKernels"),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CKernels"], linkerSettings: blasLinker),
        .target(name: "Checkpoints", dependencies: ["TensorCore"]),
        .target(name: "NN", dependencies: ["TensorCore", "Checkpoints", "CKernels"]),
        .target(name: "Optimizers", dependencies: ["NN", "CKernels"]),
        .target(name: "Quantization", dependencies: ["NN", "Checkpoints"]),
        .target(name: "Models", dependencies: ["NN", "Checkpoints", "CKernels"]),
        .target(name: "LoRA", dependencies: ["NN", "Checkpoints"]),
        .target(name: "Evaluation", dependencies: ["Models", "Tokenizers", "Datasets", "Checkpoints"]),
        .target(name: "Training", dependencies: ["NN", "Optimizers", "LoRA", "Models", "Datasets", "Checkpoints", "CKernels"]),
        .target(name: "Tokenizers"),
        .target(name: "Hub"),
        .target(name: "Datasets", dependencies: ["Tokenizers"]),
        .target(name: "Detox", dependencies: ["TensorCore", "Checkpoints", "NN", "Optimizers", "Quantization", "LoRA", "Models", "Tokenizers", "Datasets", "Training", "Evaluation", "Hub",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(
            name: "detox",
            dependencies: ["Detox", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "detox-bench",
            dependencies: ["TensorCore", "NN", "CBLAS", "Tokenizers", "Models", "LoRA", "Quantization", "Optimizers", "Training"],
            path: "Sources/DetoxBench"
        ),
        .target(name: "TestSupport", dependencies: ["TensorCore"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CKernels", "TestSupport"]),
        .testTarget(
            name: "CheckpointsTests", dependencies: ["Checkpoints", "NN", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "NNTests", dependencies: ["NN", "Optimizers", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "OptimizersTests", dependencies: ["Optimizers", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TokenizersTests", dependencies: ["Tokenizers"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "QuantizationTests", dependencies: ["Quantization", "NN", "Checkpoints", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ModelsTests", dependencies: ["Models", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LoRATests", dependencies: ["LoRA", "Models", "Checkpoints", "NN", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TrainingTests", dependencies: ["Training", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "HubTests", dependencies: ["Hub"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tokenizers"]),
        .testTarget(
            name: "DetoxTests",
            dependencies: ["Detox", "TestSupport", "Datasets", "Models", "LoRA", "Training", "Evaluation", "TensorCore"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
