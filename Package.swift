// swift-tools-version: 6.0
import PackageDescription

#if os(Linux)
    let blasLinker: [LinkerSetting] = [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]
#else
    let blasLinker: [LinkerSetting] = [.linkedFramework("Accelerate")]
#endif

// Every module carries the `Detox` prefix, so none clashes with swift-transformers' `Tokenizers`,
// `Hub` or `Models`, or with MLX's. Each target lists exactly the modules it imports
// (`swift build --explicit-target-dependency-import-check=error` checks it in CI).
let package = Package(
    name: "Detox",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DetoxFiles", targets: ["DetoxFiles"]),
        .library(name: "DetoxTokenizers", targets: ["DetoxTokenizers"]),
        .library(name: "DetoxHub", targets: ["DetoxHub"]),
        .library(name: "DetoxTensor", targets: ["DetoxTensor"]),
        .library(name: "DetoxCheckpoints", targets: ["DetoxCheckpoints"]),
        .library(name: "DetoxNN", targets: ["DetoxNN"]),
        .library(name: "DetoxOptimizers", targets: ["DetoxOptimizers"]),
        .library(name: "DetoxQuantization", targets: ["DetoxQuantization"]),
        .library(name: "DetoxLoRA", targets: ["DetoxLoRA"]),
        .library(name: "DetoxModels", targets: ["DetoxModels"]),
        .library(name: "DetoxDatasets", targets: ["DetoxDatasets"]),
        .library(name: "DetoxDistributed", targets: ["DetoxDistributed"]),
        .library(name: "DetoxTraining", targets: ["DetoxTraining"]),
        .library(name: "DetoxEvaluation", targets: ["DetoxEvaluation"]),
        .library(name: "DetoxPipeline", targets: ["DetoxPipeline"]),
        .executable(name: "detox", targets: ["detox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // `swift package generate-documentation` for the DocC catalogs; no target links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: Engine (C parts are implementation details of DetoxTensor and DetoxNN)
        .systemLibrary(name: "CDetoxBLAS", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "CDetoxKernels"),
        .target(name: "DetoxTensor", dependencies: ["CDetoxBLAS", "CDetoxKernels"], linkerSettings: blasLinker),
        .target(name: "DetoxNN", dependencies: ["DetoxTensor", "DetoxCheckpoints", "CDetoxKernels"]),
        .target(name: "DetoxOptimizers", dependencies: ["DetoxNN", "DetoxTensor"]),

        // MARK: Data parallelism (Open MPI; CDetoxMPI is an implementation detail of DetoxDistributed)
        .systemLibrary(name: "CDetoxMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "DetoxDistributed", dependencies: ["CDetoxMPI"]),

        // MARK: Formats and files
        .target(name: "DetoxFiles"),
        .target(name: "DetoxTokenizers"),
        .target(name: "DetoxHub"),
        .target(name: "DetoxCheckpoints", dependencies: ["DetoxTensor", "DetoxFiles"]),

        // MARK: Models and adapters
        .target(name: "DetoxQuantization", dependencies: ["DetoxNN", "DetoxTensor"]),
        .target(name: "DetoxLoRA", dependencies: ["DetoxNN", "DetoxTensor", "DetoxCheckpoints", "DetoxFiles"]),
        .target(
            name: "DetoxModels",
            dependencies: ["DetoxNN", "DetoxTensor", "DetoxCheckpoints", "DetoxFiles"]),

        // MARK: Data, training, evaluation
        .target(name: "DetoxDatasets", dependencies: ["DetoxTokenizers"]),
        .target(
            name: "DetoxTraining",
            dependencies: [
                "DetoxNN", "DetoxTensor", "DetoxOptimizers", "DetoxLoRA", "DetoxModels", "DetoxDatasets",
                "DetoxTokenizers", "DetoxCheckpoints", "DetoxFiles", "DetoxDistributed",
            ]),
        .target(name: "DetoxEvaluation", dependencies: ["DetoxFiles"]),

        // MARK: Pipeline and command line
        .target(
            name: "DetoxPipeline",
            dependencies: [
                "DetoxTensor", "DetoxNN", "DetoxCheckpoints", "DetoxFiles", "DetoxHub", "DetoxQuantization",
                "DetoxLoRA", "DetoxModels", "DetoxTokenizers", "DetoxDatasets", "DetoxTraining", "DetoxEvaluation",
                "DetoxDistributed", .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "DetoxDemo",
            dependencies: [
                "DetoxPipeline", "DetoxTensor", "DetoxNN", "DetoxOptimizers", "DetoxCheckpoints", "DetoxFiles",
                "DetoxLoRA", "DetoxModels", "DetoxTokenizers", "DetoxDatasets", "DetoxTraining", "DetoxEvaluation",
            ]),
        .executableTarget(
            name: "detox",
            dependencies: [
                "DetoxPipeline", "DetoxDemo", "DetoxTensor", "DetoxLoRA", "DetoxModels", "DetoxTokenizers",
                "DetoxDatasets", "DetoxTraining", "DetoxEvaluation", "DetoxDistributed", "DetoxHub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "detox-bench",
            dependencies: [
                "DetoxTensor", "DetoxNN", "DetoxOptimizers", "DetoxQuantization", "DetoxLoRA", "DetoxModels",
                "DetoxTokenizers", "DetoxTraining", "DetoxDistributed",
            ],
            path: "Sources/DetoxBench"),

        // MARK: Tests
        .target(name: "DetoxTestSupport", dependencies: ["DetoxTensor"], path: "Tests/DetoxTestSupport"),
        // Scratch folders for every test target; Foundation only, so no test links the engine for it.
        .target(name: "DetoxTestFiles", path: "Tests/DetoxTestFiles"),
        .testTarget(name: "DetoxTensorTests", dependencies: ["DetoxTensor", "CDetoxKernels", "DetoxTestSupport"]),
        .testTarget(
            name: "DetoxCheckpointsTests",
            dependencies: ["DetoxCheckpoints", "DetoxFiles", "DetoxNN", "DetoxTensor", "DetoxTestFiles"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxNNTests", dependencies: ["DetoxNN", "DetoxTensor", "DetoxTestSupport", "DetoxTestFiles"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxOptimizersTests", dependencies: ["DetoxOptimizers", "DetoxNN", "DetoxTensor"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxTokenizersTests", dependencies: ["DetoxTokenizers", "DetoxTestFiles"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxQuantizationTests",
            dependencies: ["DetoxQuantization", "DetoxNN", "DetoxCheckpoints", "DetoxTensor", "DetoxTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxModelsTests",
            dependencies: [
                "DetoxModels", "DetoxNN", "DetoxCheckpoints", "DetoxOptimizers", "DetoxQuantization", "DetoxTensor",
                "DetoxTestSupport",
                "DetoxTestFiles",
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxLoRATests",
            dependencies: [
                "DetoxLoRA", "DetoxModels", "DetoxCheckpoints", "DetoxNN", "DetoxTensor", "DetoxTestSupport",
                "DetoxTestFiles",
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxTrainingTests",
            dependencies: [
                "DetoxTraining", "DetoxModels", "DetoxLoRA", "DetoxNN", "DetoxCheckpoints", "DetoxTensor",
                "DetoxTokenizers", "DetoxDatasets", "DetoxTestSupport", "DetoxTestFiles",
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxEvaluationTests", dependencies: ["DetoxEvaluation", "DetoxTestFiles"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DetoxHubTests", dependencies: ["DetoxHub", "DetoxTestFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DetoxFilesTests", dependencies: ["DetoxFiles", "DetoxTestFiles"]),
        .testTarget(name: "DetoxDistributedTests", dependencies: ["DetoxDistributed"]),
        .testTarget(name: "DetoxDatasetsTests", dependencies: ["DetoxDatasets", "DetoxTokenizers", "DetoxTestFiles"]),
        .testTarget(
            name: "DetoxCommandTests",
            dependencies: [
                "detox", "DetoxPipeline", "DetoxTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "DetoxPipelineTests",
            dependencies: [
                "DetoxPipeline", "DetoxDemo", "DetoxTestSupport", "DetoxDatasets", "DetoxModels", "DetoxLoRA",
                "DetoxTraining", "DetoxEvaluation", "DetoxTensor", "DetoxTestFiles", "DetoxFiles", "DetoxNN",
                "DetoxQuantization", "DetoxCheckpoints", "DetoxDistributed",
            ],
            resources: [.copy("Fixtures")]),
    ]
)
