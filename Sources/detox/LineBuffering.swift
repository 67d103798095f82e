#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    @preconcurrency import Darwin
#endif

/// Makes standard output line-buffered whatever it is connected to, so progress lines reach a pipe
/// (`detox run recipe.yaml | tee log`) as they are written and a killed run loses none of them.
/// C's default is to buffer whole blocks when the output is not a terminal.
func lineBufferStandardOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
