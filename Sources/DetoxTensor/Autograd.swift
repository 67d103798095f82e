// MARK: - Graph nodes

/// One recorded operation in the autograd graph.
///
/// A leaf node stands for a tensor whose gradient the caller wants (a parameter). An interior node
/// holds the nodes of its inputs and a closure that maps the gradient of its output to the gradients
/// of those inputs; the closure captures only what the backward pass needs.
///
/// `@unchecked Sendable` is sound because a node's `inputs` and `backward` are set once, when it is
/// made, and cleared only by `deinit`, when no other reference to the node exists; the closure
/// captures immutable tensors and runs only inside ``Tensor/backward(seed:)``, on the calling thread.
public final class GradNode: @unchecked Sendable {
    /// Input nodes, aligned with the closure's result; `nil` for inputs that need no gradient.
    public private(set) var inputs: [GradNode?]
    /// Maps the output gradient to one gradient per input (`nil` where an input needs none).
    private(set) var backward: ((Tensor) -> [Tensor?])?
    /// Shape of the tensor this node produced, for checks.
    public let shape: [Int]

    init(leafShape: [Int]) {
        self.inputs = []
        self.backward = nil
        self.shape = leafShape
    }

    init(inputs: [GradNode?], shape: [Int], backward: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.shape = shape
        self.backward = backward
    }

    public var isLeaf: Bool { backward == nil }

    /// Releases a long chain of nodes iteratively: the default recursive release of a graph with
    /// many thousands of steps would overflow the stack.
    deinit {
        backward = nil
        var stack = inputs.compactMap { $0 }
        inputs = []
        while var node = stack.popLast() {
            if isKnownUniquelyReferenced(&node) {
                node.backward = nil
                stack.append(contentsOf: node.inputs.compactMap { $0 })
                node.inputs = []
            }
        }
    }
}

// MARK: - Recording

extension Tensor {
    @TaskLocal static var gradEnabled = true

    /// Whether operations currently record autograd nodes.
    public static var isGradEnabled: Bool { gradEnabled }

    /// Runs `body` without recording any autograd node (inference, generation, evaluation).
    public static func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
        try $gradEnabled.withValue(false) { try body() }
    }

    /// Attaches an autograd record to `result` when any input needs a gradient.
    ///
    /// This is how every differentiable operation, here or in other modules, joins the graph:
    /// `backward` receives the gradient of `result` and returns one gradient per input, shaped like
    /// that input (or `nil`). It runs with recording off.
    package static func record(
        _ result: Tensor, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        record(result, inputNodes: inputs.map(\.node), backward: backward)
    }

    /// `record(_:inputs:backward:)` given the inputs' nodes, for an operation that consumed its
    /// inputs (wrote its result into one of their buffers).
    package static func record(
        _ result: Tensor, inputNodes: [GradNode?], backward: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        guard gradEnabled, inputNodes.contains(where: { $0 != nil }) else { return result }
        let node = GradNode(inputs: inputNodes, shape: result.shape, backward: backward)
        return Tensor(storage: result.storage, shape: result.shape, node: node)
    }
}

// MARK: - Backward

/// Gradients of a scalar with respect to the leaves that produced it.
public struct GradStore: Sendable {
    fileprivate var gradients: [ObjectIdentifier: (node: GradNode, gradient: Tensor)] = [:]

    public init() {}

    /// The gradient for a leaf tensor, or `nil` if the loss does not depend on it.
    public subscript(_ tensor: Tensor) -> Tensor? {
        guard let node = tensor.node else { return nil }
        return gradients[ObjectIdentifier(node)]?.gradient
    }

    /// The gradient for a leaf node.
    public subscript(node node: GradNode) -> Tensor? { gradients[ObjectIdentifier(node)]?.gradient }

    /// Number of leaves with a gradient.
    public var count: Int { gradients.count }

    /// Adds every gradient of `other` into this store (gradient accumulation over micro-batches).
    public mutating func accumulate(_ other: GradStore) {
        for (key, entry) in other.gradients {
            if let existing = gradients[key] {
                gradients[key] = (entry.node, Tensor.withNoGrad { existing.gradient + entry.gradient })
            } else {
                gradients[key] = entry
            }
        }
    }

    /// Multiplies every gradient by `factor`.
    public mutating func scale(by factor: Float) {
        for (key, entry) in gradients {
            gradients[key] = (entry.node, Tensor.withNoGrad { entry.gradient * factor })
        }
    }

    /// Replaces the gradient of a leaf.
    public mutating func set(_ gradient: Tensor, for tensor: Tensor) {
        guard let node = tensor.node else { return }
        gradients[ObjectIdentifier(node)] = (node, gradient.detached())
    }
}

extension Tensor {
    /// Reverse-mode differentiation of a one-element tensor.
    ///
    /// Walks the graph iteratively (no recursion, so deep graphs cannot overflow the stack), sums
    /// gradients where a tensor is used more than once, and returns the gradients of the leaves.
    public func backward() throws -> GradStore {
        guard count == 1 else { throw TensorError.backwardOfNonScalar(shape: shape) }
        return backward(seed: Tensor.ones(shape))
    }

    /// Reverse-mode differentiation starting from an explicit output gradient shaped like `self`.
    public func backward(seed: Tensor) -> GradStore {
        var store = GradStore()
        guard let root = node else { return store }
        let order = GradNode.topologicalOrder(from: root)
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed.detached()]
        Tensor.withNoGrad {
            for node in order.reversed() {
                guard let gradient = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                guard let backward = node.backward else {
                    store.gradients[ObjectIdentifier(node)] = (node, gradient)
                    continue
                }
                let inputGradients = backward(gradient)
                for (input, inputGradient) in zip(node.inputs, inputGradients) {
                    guard let input, let inputGradient else { continue }
                    precondition(
                        inputGradient.shape == input.shape,
                        "gradient shape \(inputGradient.shape) does not match input shape \(input.shape)")
                    let key = ObjectIdentifier(input)
                    if let existing = pending.removeValue(forKey: key) {
                        // `+` sums into the running total's buffer when nothing else holds it.
                        pending[key] = (consume existing) + inputGradient
                    } else {
                        pending[key] = inputGradient
                    }
                }
            }
        }
        return store
    }
}

extension GradNode {
    /// Nodes reachable from `root`, each after all of its inputs (iterative depth-first search).
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(node: GradNode, nextInput: Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while !stack.isEmpty {
            let (node, index) = stack[stack.count - 1]
            if index < node.inputs.count {
                stack[stack.count - 1].nextInput += 1
                if let input = node.inputs[index], visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(node)
                stack.removeLast()
            }
        }
        return order
    }
}
