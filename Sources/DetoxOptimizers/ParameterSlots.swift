import DetoxNN
import DetoxTensor

// MARK: - Slot

/// One parameter held by an optimizer, with its per-parameter state.
///
/// The buffers are owned by the optimizer alone and updated in place; they are copied whenever they
/// leave it (``ParameterSlots/exportState(kind:stepCount:learningRate:hyperparameters:)``).
final class ParameterSlot {
    let name: String
    let parameter: Parameter
    /// Updates applied so far (PyTorch's `state["step"]`).
    var step = 0
    /// Moment buffers, each shaped like the parameter, in the optimizer's buffer order; empty until
    /// the first update (PyTorch creates optimizer state lazily as well).
    var buffers: [TensorStorage] = []
    /// Buffer names matching ``buffers``.
    var bufferNames: [String] = []

    init(name: String, parameter: Parameter) {
        self.name = name
        self.parameter = parameter
    }

    var hasState: Bool { step > 0 || !buffers.isEmpty }

    /// Makes sure the named buffers exist, zero-filled when new.
    func ensureBuffers(_ names: [String]) {
        guard bufferNames != names else { return }
        let count = parameter.tensor.count
        buffers = names.map { _ in TensorStorage(repeating: 0, count: count) }
        bufferNames = names
    }
}

// MARK: - Slots

/// The parameters of an optimizer and the bookkeeping every optimizer shares: the gradient lookup
/// before a step, and the export and validated import of saved state.
final class ParameterSlots {
    let slots: [ParameterSlot]
    private let indexByName: [String: Int]

    init(_ parameters: [(name: String, parameter: Parameter)]) throws {
        var index: [String: Int] = [:]
        var seen = Set<ObjectIdentifier>()
        for (offset, entry) in parameters.enumerated() {
            guard index[entry.name] == nil, seen.insert(ObjectIdentifier(entry.parameter)).inserted else {
                throw OptimizerError.duplicateParameter(name: entry.name)
            }
            index[entry.name] = offset
        }
        slots = parameters.map { ParameterSlot(name: $0.name, parameter: $0.parameter) }
        indexByName = index
    }

    var named: [(name: String, parameter: Parameter)] { slots.map { ($0.name, $0.parameter) } }

    /// The slots that have a gradient in `grads`, with that gradient; checks every shape before
    /// anything is updated, so a bad gradient leaves the optimizer untouched.
    func pending(_ grads: GradStore) throws -> [(slot: ParameterSlot, gradient: Tensor)] {
        var result: [(slot: ParameterSlot, gradient: Tensor)] = []
        result.reserveCapacity(slots.count)
        for slot in slots {
            guard let gradient = grads[slot.parameter.tensor] else { continue }
            guard gradient.shape == slot.parameter.shape else {
                throw OptimizerError.gradientShapeMismatch(
                    parameter: slot.name, expected: slot.parameter.shape, actual: gradient.shape)
            }
            result.append((slot, gradient))
        }
        return result
    }

    // MARK: - Export

    func exportState(
        kind: String, stepCount: Int, learningRate: Double, hyperparameters: [String: Double]
    ) -> OptimizerState {
        var records: [ParameterStateRecord] = []
        var tensors: [String: Tensor] = [:]
        for slot in slots where slot.hasState {
            let shape = slot.parameter.shape
            records.append(
                ParameterStateRecord(name: slot.name, shape: shape, step: slot.step, buffers: slot.bufferNames))
            for (buffer, storage) in zip(slot.bufferNames, slot.buffers) {
                let copy = TensorStorage(copying: storage.buffer)
                tensors[OptimizerState.tensorKey(parameter: slot.name, buffer: buffer)] =
                    Tensor(storage: copy, shape: shape)
            }
        }
        let metadata = OptimizerStateMetadata(
            kind: kind, stepCount: stepCount, learningRate: learningRate,
            hyperparameters: hyperparameters, parameters: records)
        return OptimizerState(metadata: metadata, tensors: tensors)
    }

    // MARK: - Import

    /// Per-slot state read from a snapshot, checked but not yet applied.
    struct Restored {
        var perSlot: [(slot: ParameterSlot, step: Int, names: [String], buffers: [TensorStorage])]
    }

    /// Checks a snapshot against these parameters (the caller has already checked kind and
    /// hyperparameters) and copies its buffers. `bufferNames` are the buffers the optimizer keeps
    /// under the snapshot's hyperparameters.
    func validate(_ state: OptimizerState, bufferNames: [String]) throws -> Restored {
        let metadata = state.metadata
        guard metadata.stepCount >= 0 else {
            throw OptimizerError.invalidStepCount(parameter: nil, value: metadata.stepCount)
        }
        var used = Set<String>()
        var seen = Set<String>()
        var restored = Restored(perSlot: [])
        for record in metadata.parameters {
            guard seen.insert(record.name).inserted else {
                throw OptimizerError.duplicateParameterState(name: record.name)
            }
            guard let index = indexByName[record.name] else {
                throw OptimizerError.unknownParameter(name: record.name)
            }
            let slot = slots[index]
            let shape = slot.parameter.shape
            guard record.shape == shape else {
                throw OptimizerError.shapeMismatch(
                    parameter: record.name, buffer: nil, expected: shape, actual: record.shape)
            }
            guard record.step >= 0 else {
                throw OptimizerError.invalidStepCount(parameter: record.name, value: record.step)
            }
            // A parameter that has been stepped keeps every buffer; SGD without momentum keeps none.
            guard record.buffers == bufferNames else {
                throw OptimizerError.bufferMismatch(
                    parameter: record.name, expected: bufferNames, actual: record.buffers)
            }
            var buffers: [TensorStorage] = []
            for buffer in bufferNames {
                let key = OptimizerState.tensorKey(parameter: record.name, buffer: buffer)
                guard let tensor = state.tensors[key] else {
                    throw OptimizerError.missingBuffer(parameter: record.name, buffer: buffer, key: key)
                }
                guard tensor.shape == shape else {
                    throw OptimizerError.shapeMismatch(
                        parameter: record.name, buffer: buffer, expected: shape, actual: tensor.shape)
                }
                used.insert(key)
                buffers.append(TensorStorage(copying: tensor.storage.buffer))
            }
            restored.perSlot.append((slot, record.step, bufferNames, buffers))
        }
        if let extra = state.tensors.keys.filter({ !used.contains($0) }).min() {
            throw OptimizerError.unexpectedTensor(key: extra)
        }
        return restored
    }

    /// Replaces every slot's state with the restored one (slots absent from it start fresh).
    func apply(_ restored: Restored) {
        for slot in slots {
            slot.step = 0
            slot.buffers = []
            slot.bufferNames = []
        }
        for entry in restored.perSlot {
            entry.slot.step = entry.step
            entry.slot.buffers = entry.buffers
            entry.slot.bufferNames = entry.names
        }
    }
}

// MARK: - Hyperparameter helpers

extension [String: Double] {
    /// A required hyperparameter of a saved state.
    func required(_ name: String) throws -> Double {
        guard let value = self[name] else { throw OptimizerError.missingHyperparameter(name) }
        return value
    }

    /// A required boolean hyperparameter (stored as 0 or 1).
    func requiredFlag(_ name: String) throws -> Bool {
        let value = try required(name)
        guard value == 0 || value == 1 else {
            throw OptimizerError.invalidHyperparameter(name: name, value: value, reason: "a flag must be 0 or 1")
        }
        return value == 1
    }
}
