// Quantizes a linear layer's weight to 4-bit NF4 (bitsandbytes' QLoRA format) and compares its
// outputs and size with the full-precision layer.
import DetoxNN
import DetoxQuantization
import DetoxTensor

var generator = SeededGenerator(seed: 3)
let dense = Linear(256, 64, generator: &generator)

// Blocks of 64 weights share one absmax; double quantization stores those absmax values in 8 bits.
let quantized = try Linear4Bit(linear: dense, type: .nf4, blocksize: 64, doubleQuantization: true)

let x = Tensor.ones([2, 256])
let exact = dense(x)
let approximate = quantized(x)
let largestError = zip(exact.values, approximate.values).map { abs($0 - $1) }.max() ?? 0
let largestOutput = exact.values.map { abs($0) }.max() ?? 0
print("largest output difference:", largestError, "of outputs up to", largestOutput)
// largest output difference: 0.1302246 of outputs up to 1.3988731

// Only the bias stays a (frozen) parameter; the weight is a `QuantizedTensor4Bit`.
print(quantized.parameters().map(\.name)) // ["bias"]
print(quantized.quantizedFootprint)
// 8712 bytes (4-bit weights 8456 for 16384 values, f32 parameters 256); 65792 bytes in f32
print("f32 weight:", 4 * dense.weight.tensor.count, "bytes; NF4 weight:", quantized.weight.byteCount, "bytes")
// f32 weight: 65536 bytes; NF4 weight: 8456 bytes
