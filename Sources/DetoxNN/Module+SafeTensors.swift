import DetoxCheckpoints
import DetoxTensor
import Foundation

extension Module {
    /// Loads parameters from a safetensors file by full name (see ``load(_:strict:)``).
    public func load(safetensors url: URL, strict: Bool = true) throws {
        try load(SafeTensorsFile(url: url).tensors(), strict: strict)
    }

    /// Writes every parameter to a safetensors file under its full name, atomically.
    public func save(safetensors url: URL, metadata: [String: String] = ["format": "pt"]) throws {
        try SafeTensors.write(stateDict(), metadata: metadata, to: url)
    }
}
