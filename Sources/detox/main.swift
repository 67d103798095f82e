import ArgumentParser
import DetoxTensor
import DetoxTraining
import Foundation

// Ctrl-C: finish the current step, write a checkpoint, stop (a second Ctrl-C quits at once).
unblockStopSignals()
Interruption.install()
// Progress lines reach a pipe (`detox run recipe.yaml | tee log`) as they are written.
lineBufferStandardOutput()

// Exit codes: 0 ok, 1 failure, 2 usage (ArgumentParser's own usage code is 64), 130 stopped by Ctrl-C.
do {
    var command = try DetoxCommand.parseAsRoot()
    try command.run()
    ToolProgress.output.flush()
} catch let error as TrainingError where Interruption.isRequested {
    ToolProgress.output.flush()
    // Ctrl-C: the trainer saved its checkpoint; say so and exit as shells expect of SIGINT.
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(130)
} catch {
    ToolProgress.output.flush()
    let code = DetoxCommand.exitCode(for: error)
    if code == .validationFailure {
        FileHandle.standardError.write(Data((DetoxCommand.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    DetoxCommand.exit(withError: error)
}
