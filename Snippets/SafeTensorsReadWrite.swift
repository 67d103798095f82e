// Writes tensors to a safetensors file and reads them back, the format transformers, PEFT and
// the safetensors library read and write.
import DetoxCheckpoints
import DetoxTensor
import Foundation

let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "detox-snippet-\(UUID().uuidString).safetensors")

let tensors = [
    "layer.weight": Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]),
    "layer.bias": Tensor([0.5, -0.5]),
]
// Written atomically (a temporary file renamed into place), names in the order Python writes them.
try SafeTensors.write(tensors, metadata: ["format": "pt"], to: url)

let file = try SafeTensorsFile(url: url)
print(file.names) // ["layer.bias", "layer.weight"]
print(try file.info("layer.weight").shape) // [2, 3]
let weight = try file.tensor("layer.weight") // f16 and bf16 entries are widened to f32
print(weight.values) // [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
// snippet.hide
try FileManager.default.removeItem(at: url)
