import DetoxTensor

// MARK: - Module

/// A network component whose parameters and children have checkpoint names.
///
/// Conformers list their own parameters and children under the names PyTorch would use
/// (`"weight"`, `"SelfAttention"`, `"0"`), so the dotted path of every parameter equals its key in a
/// Hugging Face checkpoint (`encoder.block.0.layer.0.SelfAttention.q.weight`).
public protocol Module: AnyObject {
    /// Parameters owned directly by this module, by local name.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// Child modules, by local name.
    var namedChildren: [(name: String, module: any Module)] { get }
    /// Switches training behaviour (dropout) on or off for this module and its children.
    func setTraining(_ training: Bool)
}

extension Module {
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }
    public var namedChildren: [(name: String, module: any Module)] { [] }

    public func setTraining(_ training: Bool) {
        for child in namedChildren { child.module.setTraining(training) }
    }

    /// Every parameter below this module with its full dotted name, in declaration order.
    public func parameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = []
        var stack: [(prefix: String, module: any Module)] = [(prefix, self)]
        while let (path, module) = stack.popLast() {
            for (name, parameter) in module.namedParameters {
                result.append((path.isEmpty ? name : "\(path).\(name)", parameter))
            }
            for (name, child) in module.namedChildren.reversed() {
                stack.append((path.isEmpty ? name : "\(path).\(name)", child))
            }
        }
        return result
    }

    /// The parameters that currently take gradients.
    public func trainableParameters() -> [(name: String, parameter: Parameter)] {
        parameters().filter { $0.parameter.isTrainable }
    }

    /// Freezes (or unfreezes) every parameter below this module.
    public func setTrainable(_ trainable: Bool) {
        for (_, parameter) in parameters() { parameter.isTrainable = trainable }
    }

    /// Number of scalar values in all parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.parameter.tensor.count } }

    /// Current values by full name.
    public func stateDict() -> [String: Tensor] {
        Dictionary(parameters().map { ($0.name, $0.parameter.tensor.detached()) }, uniquingKeysWith: { a, _ in a })
    }

    /// Loads values by full name.
    ///
    /// With `strict`, every parameter must be present with its shape and no key may be left over;
    /// otherwise only matching keys load, but shape mismatches are still errors. All problems are
    /// reported together in one ``NNError/stateMismatch(missing:unexpected:shapeMismatches:)``,
    /// and nothing is assigned unless everything checks.
    public func load(_ tensors: [String: Tensor], strict: Bool = true) throws {
        let own = parameters()
        var missing: [String] = []
        var mismatches: [ShapeMismatch] = []
        var assignments: [(Parameter, Tensor)] = []
        for (name, parameter) in own {
            guard let value = tensors[name] else {
                missing.append(name)
                continue
            }
            guard value.shape == parameter.shape else {
                mismatches.append(ShapeMismatch(key: name, expected: parameter.shape, actual: value.shape))
                continue
            }
            assignments.append((parameter, value))
        }
        let known = Set(own.map(\.name))
        let unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
        if !mismatches.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw NNError.stateMismatch(
                missing: strict ? missing : [], unexpected: strict ? unexpected : [], shapeMismatches: mismatches)
        }
        for (parameter, value) in assignments { parameter.assign(value) }
    }
}

/// A numbered list of child modules (`block.0`, `block.1`, ...), as PyTorch's `nn.ModuleList`.
public final class ModuleList<Element: Module>: Module {
    public var modules: [Element]
    public init(_ modules: [Element]) { self.modules = modules }
    public var namedChildren: [(name: String, module: any Module)] {
        modules.enumerated().map { (String($0.offset), $0.element) }
    }
    public subscript(index: Int) -> Element { modules[index] }
    public var count: Int { modules.count }
}

// MARK: - Errors

/// A checkpoint tensor whose shape differs from the parameter's.
public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let expected: [Int]
    public let actual: [Int]
    public init(key: String, expected: [Int], actual: [Int]) {
        self.key = key
        self.expected = expected
        self.actual = actual
    }
    public var description: String { "\(key): expected \(expected), found \(actual)" }
}

/// Errors from the NN target.
public enum NNError: Error, Equatable, CustomStringConvertible {
    /// Loading a state dict found missing keys, unexpected keys or wrong shapes (all listed).
    case stateMismatch(missing: [String], unexpected: [String], shapeMismatches: [ShapeMismatch])
    /// A loss came out NaN or infinite.
    case nonFiniteLoss(name: String, value: Float)
    /// An index (token id, label) is outside its range.
    case indexOutOfRange(what: String, index: Int, bound: Int)
    /// An activation name from a config is not known.
    case unknownActivation(String)
    /// A ``WeightBuilder`` found no tensor `key` in the checkpoint `source`.
    case missingTensor(source: String, key: String)
    /// A ``WeightBuilder`` found tensor `key` of `source` with another shape than the model's.
    case tensorShapeMismatch(source: String, key: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .stateMismatch(let missing, let unexpected, let mismatches):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
            if !mismatches.isEmpty {
                parts.append("shape mismatches: \(mismatches.map(\.description).joined(separator: "; "))")
            }
            return "state dict does not match the model: " + parts.joined(separator: "; ")
        case .nonFiniteLoss(let name, let value):
            return "loss \(name) is not finite (\(value))"
        case .indexOutOfRange(let what, let index, let bound):
            return "\(what) \(index) is out of range 0..<\(bound)"
        case .unknownActivation(let name):
            return "unknown activation \"\(name)\" (expected one of relu, gelu, gelu_new, tanh, sigmoid, silu)"
        case .missingTensor(let source, let key):
            return "\(source): missing tensor \(key)"
        case .tensorShapeMismatch(let source, let key, let expected, let actual):
            return "\(source): tensor \(key) has shape \(actual), expected \(expected)"
        }
    }
}
