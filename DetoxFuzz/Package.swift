// swift-tools-version: 6.0
import PackageDescription

// libFuzzer harnesses for Detox's parsers. This package is separate from the main one so that a
// normal `swift build` never sees the harnesses (they link only with `--sanitize=fuzzer`) and its
// build folder (DetoxFuzz/.build) never mixes with the main one. Build and run through
// `Scripts/fuzz.sh`, which passes `--sanitize=fuzzer --sanitize=address` (for the C targets) and
// `-sanitize=fuzzer,address -parse-as-library -enable-testing` to the Swift compiler.
let harnesses: [(name: String, modules: [String])] = [
    ("fuzz-safetensors", ["DetoxCheckpoints"]),
    ("fuzz-pickle", ["DetoxCheckpoints"]),
    ("fuzz-zip", ["DetoxCheckpoints"]),
    ("fuzz-inflate", ["DetoxCheckpoints"]),
    ("fuzz-tokenizer", ["DetoxTokenizers"]),
    ("fuzz-encode", ["DetoxTokenizers"]),
    ("fuzz-config", ["DetoxModels"]),
    ("fuzz-table", ["DetoxDatasets"]),
    ("fuzz-recipe", ["DetoxPipeline"]),
    ("fuzz-hub", ["DetoxHub"]),
]

let package = Package(
    name: "DetoxFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Detox", path: "..")],
    targets: [.target(name: "FuzzSupport")]
        + harnesses.map { harness in
            .executableTarget(
                name: harness.name,
                dependencies: ["FuzzSupport"] + harness.modules.map { .product(name: $0, package: "Detox") },
                path: "Sources/\(harness.name)")
        }
)
