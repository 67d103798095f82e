import Foundation

/// The memory a generation's key/value cache will take, checked before it is allocated: the cache
/// is sized from `maxNewTokens` (and the prompt), which come from flags and files, so a huge value
/// must be an error rather than a failed allocation.
public enum CacheBudget {
    /// Refuses a cache of `layers` layers of keys and values, each `[batch, positions, width]`
    /// floats, that would take more than half of this machine's memory.
    /// - Throws: ``ModelError/invalidInput(_:)`` with the sizes.
    public static func check(layers: Int, batch: Int, positions: Int, width: Int) throws {
        let memory = ProcessInfo.processInfo.physicalMemory
        var bytes = 2 * MemoryLayout<Float>.size
        var overflow = false
        for factor in [layers, batch, positions, width] {
            guard factor >= 0 else { throw ModelError.invalidInput("a negative key/value cache size (\(factor))") }
            let product = bytes.multipliedReportingOverflow(by: factor)
            bytes = product.partialValue
            overflow = overflow || product.overflow
        }
        guard overflow || UInt64(bytes) > memory / 2 else { return }
        let gibibyte = Double(1 << 30)
        let need = overflow ? "more than 8 EiB" : String(format: "%.1f GiB", Double(bytes) / gibibyte)
        throw ModelError.invalidInput(
            "\(positions) positions for \(batch) rows need \(need) of key/value cache, more than half of this "
                + "machine's \(String(format: "%.1f GiB", Double(memory) / gibibyte)); lower maxNewTokens")
    }
}
