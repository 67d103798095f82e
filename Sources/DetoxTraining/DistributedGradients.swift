import DetoxDistributed
import DetoxNN
import DetoxTensor
import Foundation

extension Communicator {
    /// Sums the gradients of `parameters` and the values of `extras` over every rank, in one
    /// bucketed allreduce, and returns the summed extras.
    ///
    /// Each rank scales its loss before `backward()` by its share of the global batch (its rows'
    /// weight in the global mean), so the sum is the gradient of the single-process loss. A
    /// parameter that no rank has a gradient for keeps none (the optimizer skips it, as in one
    /// process); one that only some ranks have counts as zero on the others. In a world of one,
    /// nothing is copied and `extras` come back unchanged.
    func allreduceGradients(_ grads: inout GradStore, parameters: [Parameter], extras: [Float]) throws -> [Float] {
        guard size > 1 else { return extras }
        var seen = Set<ObjectIdentifier>()
        let unique = parameters.filter { seen.insert(ObjectIdentifier($0)).inserted }
        let valueCount = unique.reduce(0) { $0 + $1.tensor.count }
        // Layout: every parameter's gradient (zeros where this rank has none), then one flag per
        // parameter (1 where this rank has a gradient), then the extras.
        var buffer = [Float](repeating: 0, count: valueCount + unique.count + extras.count)
        var offset = 0
        for (index, parameter) in unique.enumerated() {
            if let gradient = grads[parameter.tensor] {
                gradient.withUnsafeBufferPointer { values in
                    for i in 0..<values.count { buffer[offset + i] = values[i] }
                }
                buffer[valueCount + index] = 1
            }
            offset += parameter.tensor.count
        }
        for (index, value) in extras.enumerated() { buffer[valueCount + unique.count + index] = value }
        try allreduceSum(&buffer)
        offset = 0
        for (index, parameter) in unique.enumerated() {
            let count = parameter.tensor.count
            if buffer[valueCount + index] > 0 {
                grads.set(Tensor(Array(buffer[offset..<offset + count]), shape: parameter.shape), for: parameter.tensor)
            }
            offset += count
        }
        return Array(buffer[(valueCount + unique.count)...])
    }

    /// Gives every rank rank 0's dropout generators when `batchRows` is smaller than the world
    /// (some rank had no row, ran no forward pass, and drew no mask seeds); otherwise does nothing.
    ///
    /// Every rank draws one seed per dropout call from the same generators, and masks are keyed by
    /// the global row (``DetoxTensor/DropoutRows``), so a rank that skips a forward pass must catch
    /// up before the next one. Rank 0 always holds a row of a non-empty batch.
    func alignDropoutGenerators(of model: any Module, batchRows: Int) throws {
        guard size > 1, batchRows < size else { return }
        let bytes = try broadcast(isRoot ? Array(try JSONEncoder().encode(model.dropoutGenerators())) : [], from: 0)
        do {
            model.restoreDropoutGenerators(try JSONDecoder().decode([String: SeededGenerator].self, from: Data(bytes)))
        } catch {
            throw DistributedError.malformedPayload(rank: 0, reason: "\(error)")
        }
    }
}
