import TensorCore

// Restart once with matching OpenBLAS kernels if the library fell back to legacy ones
// (see BLASRuntime); a no-op everywhere else.
BLASRuntime.restartWithMatchingKernelsIfNeeded()
DetoxCommand.main()
