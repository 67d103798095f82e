// swift-tools-version: 6.0
import PackageDescription

// A consumer of the Detox library products, as another project would depend on them: by path here,
// by URL elsewhere. The path dependency's identity would be its folder name, which differs between
// checkouts, so it is named after the package (`Detox`) explicitly.
let package = Package(
    name: "Embeddings",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "embed", targets: ["embed"])
    ],
    dependencies: [
        .package(name: "Detox", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "embed",
            dependencies: [
                .product(name: "DetoxTokenizers", package: "Detox"),
                .product(name: "DetoxModels", package: "Detox"),
                .product(name: "DetoxTensor", package: "Detox"),
            ])
    ]
)
