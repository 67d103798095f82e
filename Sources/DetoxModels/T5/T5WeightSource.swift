import DetoxTensor
import Foundation

/// Where a T5 model folder's weights come from: the one place T5 loading reads weight files.
///
/// It goes through ``ModelFolder/weights()`` (`ModelWeights` in Checkpoints), which picks
/// `model.safetensors`, its sharded index, `pytorch_model.bin` or its sharded index, in
/// transformers' order.
public enum T5WeightSource {
    /// Every floating-point tensor of the model folder by its checkpoint name, and the file it came
    /// from (for error messages).
    /// - Throws: ``ModelError/missingFile(folder:name:)`` when the folder has no weights file;
    ///   checkpoint errors for an unreadable one.
    public static func tensors(folder: URL) throws -> (tensors: [String: Tensor], source: String) {
        try ModelFolder(folder).weights()
    }
}
