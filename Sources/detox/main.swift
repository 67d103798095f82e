import ArgumentParser
import DetoxTensor
import DetoxTraining
import Foundation

// Ctrl-C: finish the current step, write a checkpoint, stop (a second Ctrl-C quits at once).
Interruption.install()

// Exit codes: 0 ok, 1 failure, 2 usage (ArgumentParser's own usage code is 64).
do {
    var command = try DetoxCommand.parseAsRoot()
    try command.run()
} catch {
    let code = DetoxCommand.exitCode(for: error)
    if code == .validationFailure {
        FileHandle.standardError.write(Data((DetoxCommand.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    DetoxCommand.exit(withError: error)
}
