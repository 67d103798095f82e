// Builds a small computation on tensors and gets every gradient with one backward pass.
import DetoxTensor

let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
let w = Tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], shape: [3, 2]).requiringGrad()
let b = Tensor([0.5, -0.5]).requiringGrad()

// [2, 3] · [3, 2] + [2] (broadcast over rows), then a scalar loss.
let y = x.matmul(w) + b
let loss = (y * y).sum()

let gradients = try loss.backward()
if let dw = gradients[w], let db = gradients[b] {
    print(dw.shape, dw.values) // [3, 2]: ∂loss/∂w
    print(db.shape, db.values) // [2]: ∂loss/∂b
}

// Inference without recording a graph:
let prediction = Tensor.withNoGrad { x.matmul(w) + b }
print(prediction.values)
