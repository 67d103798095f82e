import DetoxTensor

// MARK: - Swapping linear layers from outside

/// A module that holds linear layers in slots that can be replaced from outside.
///
/// This is how LoRA and 4-bit layers enter a model that knows nothing about them: the model's
/// blocks conform (a ``SlottedModule`` does so from its slot table, with no code of its own), and
/// ``Module/replaceLinearLayers(where:with:)`` walks the tree and swaps the layers whose
/// checkpoint paths match.
public protocol LinearContainer: Module {
    /// Replaces the direct child `name`, a linear layer, with `layer`. Returns `false` when this
    /// module has no linear slot of that name.
    func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool
}

/// Linear layers that can give their weight as an ordinary dense `[out, in]` tensor (merging an
/// adapter into its base, reporting sizes).
public protocol DenseWeightConvertible {
    /// The weight, `[out, in]`, in f32.
    var denseWeight: Tensor { get }
    /// The bias, `[out]`, if any.
    var denseBias: Tensor? { get }
}

extension Linear: DenseWeightConvertible {
    public var denseWeight: Tensor { weight.tensor.detached() }
    public var denseBias: Tensor? { bias?.tensor.detached() }
}

/// Errors from replacing layers.
public enum LayerReplacementError: Error, Equatable, CustomStringConvertible {
    /// The parent of a matching layer does not allow replacing it.
    case notReplaceable(path: String)

    public var description: String {
        switch self {
        case .notReplaceable(let path):
            return "the layer at \(path) cannot be replaced (its parent is not a LinearContainer)"
        }
    }
}

extension Module {
    /// Every linear layer below this module with its full dotted path and its parent, in
    /// declaration order (a pre-order walk). A linear layer is a leaf: the walk does not enter it,
    /// so a LoRA layer's own `lora_A` and `lora_B` are not listed.
    func linearLeaves() -> [(path: String, name: String, parent: any Module, layer: any LinearLayer)] {
        var result: [(path: String, name: String, parent: any Module, layer: any LinearLayer)] = []
        var stack: [(path: String, module: any Module)] = [("", self)]
        while let (path, module) = stack.popLast() {
            var deeper: [(path: String, module: any Module)] = []
            for (name, child) in module.namedChildren {
                let childPath = path.isEmpty ? name : "\(path).\(name)"
                if let linear = child as? any LinearLayer {
                    result.append((childPath, name, module, linear))
                } else {
                    deeper.append((childPath, child))
                }
            }
            stack.append(contentsOf: deeper.reversed())
        }
        return result
    }

    /// Every linear layer below this module with its full dotted path.
    public func linearLayers() -> [(path: String, layer: any LinearLayer)] {
        linearLeaves().map { ($0.path, $0.layer) }
    }

    /// Replaces every linear layer whose path satisfies `filter` with `transform(path, layer)`.
    /// Returns the replaced paths. Nothing is replaced if any matching layer's parent cannot
    /// replace it, or if `transform` throws.
    @discardableResult
    public func replaceLinearLayers(
        where filter: (String) -> Bool, with transform: (String, any LinearLayer) throws -> any LinearLayer
    ) throws -> [String] {
        let matches = linearLeaves().filter { filter($0.path) }
        var plan: [(parent: any LinearContainer, name: String, path: String, layer: any LinearLayer)] = []
        for match in matches {
            guard let container = match.parent as? any LinearContainer else {
                throw LayerReplacementError.notReplaceable(path: match.path)
            }
            plan.append((container, match.name, match.path, try transform(match.path, match.layer)))
        }
        for item in plan where !item.parent.replaceLinear(named: item.name, with: item.layer) {
            throw LayerReplacementError.notReplaceable(path: item.path)
        }
        return plan.map(\.path)
    }
}
