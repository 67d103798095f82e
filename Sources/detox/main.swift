import ArgumentParser
import DetoxDistributed
import DetoxTensor
import DetoxTraining
import Foundation

// Ctrl-C: finish the current step, write a checkpoint, stop (a second Ctrl-C quits at once).
unblockStopSignals()
Interruption.install()
// Progress lines reach a pipe (`detox run recipe.yaml | tee log`) as they are written.
lineBufferStandardOutput()

// Under `mpirun`: start MPI before any work, and give each rank its share of the cores.
let launchedByMPI = Distributed.isLaunchedByMPI()
if launchedByMPI {
    if let threads = Distributed.threadsPerRank() { Parallel.setThreadCount(threads) }
    do {
        // Progress lines and results come from rank 0 alone; other ranks' errors still reach stderr.
        if try !Distributed.world().isRoot { dup2(open("/dev/null", O_WRONLY), STDOUT_FILENO) }
    } catch {
        FileHandle.standardError.write(Data("cannot start MPI: \(error)\n".utf8))
        exit(1)
    }
}

/// Under `mpirun`, a failing rank names itself and ends every rank of the job with `code`, so none
/// is left waiting in a collective; alone, it returns and the usual exit follows.
func endJobIfDistributed(_ error: any Error, code: Int32) {
    guard launchedByMPI, let world = try? Distributed.world(), world.size > 1, code != 0 else { return }
    // A stage's error was already printed with the rank (`runStage`); anything else is printed here.
    if !(error is ExitCode) {
        FileHandle.standardError.write(Data("error (rank \(world.rank) of \(world.size)): \(error)\n".utf8))
    }
    Distributed.abort(code: code)
}

// Exit codes: 0 ok, 1 failure, 2 usage (ArgumentParser's own usage code is 64), 130 stopped by Ctrl-C.
do {
    var command = try DetoxCommand.parseAsRoot()
    try command.run()
    Distributed.finish()
    ToolProgress.output.flush()
} catch let error as TrainingError where Interruption.isRequested {
    ToolProgress.output.flush()
    // Ctrl-C: the trainer saved its checkpoint; say so and exit as shells expect of SIGINT.
    endJobIfDistributed(error, code: 130)
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(130)
} catch {
    ToolProgress.output.flush()
    let code = DetoxCommand.exitCode(for: error)
    if code == .validationFailure {
        endJobIfDistributed(error, code: 2)
        FileHandle.standardError.write(Data((DetoxCommand.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    endJobIfDistributed(error, code: code.rawValue)
    Distributed.finish()
    DetoxCommand.exit(withError: error)
}
