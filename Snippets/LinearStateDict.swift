// A linear layer: its parameters by checkpoint name, its state dict, and loading one back.
import DetoxNN
import DetoxTensor

var generator = SeededGenerator(seed: 42)
let layer = Linear(4, 2, generator: &generator) // weight [2, 4], bias [2], as torch.nn.Linear

for (name, parameter) in layer.parameters() {
    print(name, parameter.tensor.shape) // "weight" [2, 4], then "bias" [2]
}

let output = layer(Tensor.ones([3, 4])) // [3, 2]
print(output.shape)

// A state dict maps the same names to tensors; loading checks every name and shape (strict).
var state = layer.stateDict()
state["bias"] = Tensor([1, -1])
try layer.load(state)
print(layer.stateDict()["bias"]?.values ?? []) // [1.0, -1.0]
