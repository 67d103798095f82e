import DetoxPipeline
import FuzzSupport

/// libFuzzer entry: the input is a recipe YAML file, read and checked as `detox run` reads it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecipe(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let url = FuzzInput.file("recipe.yaml", FuzzInput.bytes(start, count))
    _ = try? Recipe(contentsOf: url)
    return 0
}
