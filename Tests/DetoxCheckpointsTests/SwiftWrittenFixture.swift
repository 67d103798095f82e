import DetoxCheckpoints
import DetoxTensor
import Foundation

// MARK: - SwiftWrittenFixture

/// The deterministic content of the Swift-written fixtures that Python checks.
///
/// Keep in sync with `swift_written_expected()` in `Scripts/fixtures/make_safetensors_fixtures.py`.
enum SwiftWrittenFixture {
    /// Fixture base names and the storage type each is written with.
    static let files: [(name: String, type: SafeTensors.StorageType)] = [
        ("swift_written", .f32), ("swift_written_f16", .f16), ("swift_written_bf16", .bf16),
    ]

    static let metadata = ["format": "pt", "producer": "Detox"]

    static var tensors: [String: Tensor] {
        [
            "layer.0.weight": Tensor((0..<6).map { Float($0) * 0.25 - 0.5 }, shape: [2, 3]),
            "special": Tensor([
                0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                1 + .ulpOfOne,
            ]),
            "rounding": Tensor([
                1 + 0x1p-11, 1 + 3 * 0x1p-11, 65520, 1e-8, 3e-8, 1 + 0x1p-8, 1 + 3 * 0x1p-8,
            ]),
            "scalar": Tensor(scalar: 42),
            "empty": Tensor([], shape: [0]),
            "weird \"name\"\\é": Tensor([-1.5, 2], shape: [2, 1]),
        ]
    }
}
