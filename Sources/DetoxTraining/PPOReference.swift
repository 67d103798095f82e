// Follows trl trl/models/modeling_base.py (v0.11.4), `create_reference_model` and `LAYER_PATTERNS`:
// which parameters a frozen reference copy shares with the policy it was made from.

import DetoxNN
import DetoxTensor

/// The model PPO's KL penalty compares the policy with.
public enum PPOReferencePolicy: Sendable, Equatable {
    /// The policy with its LoRA adapters disabled; the policy must carry adapters (the base stays
    /// frozen, so this is the model training started from).
    case adapterDisabled
    /// A frozen copy of the whole policy as it is when the trainer is made (every parameter may
    /// train), as TRL's `create_reference_model(model, num_shared_layers:, pattern:)`.
    ///
    /// With `sharedLayers` N, every parameter listed before the first one whose name contains the
    /// layer pattern for block N (the embeddings and blocks `0..<N`) is shared between the policy
    /// and the reference and frozen in the policy; `nil` shares nothing. `pattern` (with `{layer}`
    /// for N) overrides TRL's patterns (`transformer.h.{layer}`, `model.decoder.layers.{layer}`,
    /// `gpt_neox.layers.{layer}`, `model.layers.{layer}`), tried in that order.
    case frozenCopy(sharedLayers: Int?, pattern: String? = nil)
}

/// A frozen reference copy of a policy (``PPOReferencePolicy/frozenCopy(sharedLayers:pattern:)``).
///
/// The copy costs no memory at first: it keeps the tensors the policy's unshared parameters hold
/// when it is made, which the optimizer replaces rather than overwrites. The reference pass puts
/// them back into the policy's parameters for its duration, then restores the policy's own.
public final class FrozenReference {
    /// TRL's layer-name patterns, tried in order; `{layer}` stands for the number of shared layers.
    public static let layerPatterns = [
        "transformer.h.{layer}", "model.decoder.layers.{layer}", "gpt_neox.layers.{layer}", "model.layers.{layer}",
    ]

    /// The parameters shared with the policy (and frozen in it), in the policy's order.
    public let sharedNames: [String]
    /// The reference's own parameters: the policy's parameter and the value it held when the
    /// reference was made.
    let copies: [(name: String, parameter: Parameter, value: Tensor)]
    /// The policy's parameters in its order, shared ones included (for ``stateDict()``).
    let policyParameters: [(name: String, parameter: Parameter)]

    /// Makes the reference of `policy` and freezes the shared parameters in it.
    /// - Throws: ``TrainingError/invalidSetting(name:reason:)`` for a negative `sharedLayers` or when
    ///   no parameter name matches the layer pattern (as TRL's "Layer pattern could not be matched").
    public init(policy: any Module, sharedLayers: Int?, pattern: String? = nil) throws {
        let parameters = policy.parameters()
        policyParameters = parameters
        var firstUnshared = 0
        if let sharedLayers {
            guard sharedLayers >= 0 else {
                throw TrainingError.invalidSetting(name: "shared_layers", reason: "is \(sharedLayers), must be ≥ 0")
            }
            let candidates = pattern.map { [$0] } ?? Self.layerPatterns
            let names = candidates.map { $0.replacingOccurrences(of: "{layer}", with: String(sharedLayers)) }
            guard let layer = names.first(where: { name in parameters.contains { $0.name.contains(name) } }),
                let index = parameters.firstIndex(where: { $0.name.contains(layer) })
            else {
                throw TrainingError.invalidSetting(
                    name: "shared_layers",
                    reason:
                        "no parameter name contains \(names.joined(separator: " or ")): the model has no block \(sharedLayers) to start the unshared part at"
                )
            }
            firstUnshared = index
        }
        sharedNames = parameters[..<firstUnshared].map(\.name)
        for (_, parameter) in parameters[..<firstUnshared] { parameter.isTrainable = false }
        copies = parameters[firstUnshared...].map { ($0.name, $0.parameter, $0.parameter.tensor.detached()) }
    }

    /// The reference's parameters by name: the shared ones as the policy holds them now, the
    /// others as they were when the reference was made.
    public func stateDict() -> [String: Tensor] {
        var result = Dictionary(
            policyParameters.map { ($0.name, $0.parameter.tensor.detached()) }, uniquingKeysWith: { a, _ in a })
        for copy in copies { result[copy.name] = copy.value }
        return result
    }

    /// Runs `body` (a forward pass of the policy) with the reference's values in the policy's
    /// unshared parameters, then gives the policy its own tensors back (the same autograd leaves).
    public func withReference<T>(_ body: () throws -> T) rethrows -> T {
        let own = copies.map { $0.parameter.exchange($0.value) }
        defer {
            // In reverse, so a parameter listed twice (tied) ends with its own tensor.
            for (copy, tensor) in zip(copies, own).reversed() { _ = copy.parameter.exchange(tensor) }
        }
        return try body()
    }
}
