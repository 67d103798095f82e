import DetoxDistributed
import DetoxTensor
import DetoxTraining
import Foundation

/// The data-parallel PPO step of `Scripts/bench/mpi_bench.sh` (`detox-bench --only ppo-mpi`, alone
/// or under `mpirun`): ``ModelBenchmarks``' t5-small-sized PPO case (random weights, an r=32 LoRA on
/// q,v, batch 16 in minibatches of 4, 4 epochs, a fixed batch of 256-token queries and 65-token
/// responses) on this process's world of ranks.
enum DistributedPPOBenchmark {
    /// Runs one warm-up step and `steps` timed ones, then rank 0 prints one line: `ppo-mpi: R ranks: S
    /// ms per step, allgather G ms, allreduce A ms per step (B bytes)`.
    static func run(steps: Int) throws {
        let world = try Distributed.world()
        if let threads = Distributed.threadsPerRank() { Parallel.setThreadCount(threads) }
        let (trainer, batch) = try ModelBenchmarks.ppoCase(communicator: world)
        _ = try trainer.step(batch)
        let warm = trainer.communication
        let start = Clock.seconds()
        for _ in 0..<steps { _ = try trainer.step(batch) }
        let perStep = (Clock.seconds() - start) / Double(steps)
        let after = trainer.communication
        if world.isRoot {
            print(
                String(
                    format:
                        "ppo-mpi: %d ranks: %.1f ms per step, allgather %.2f ms, allreduce %.2f ms per step (%d bytes)",
                    world.size, 1000 * perStep,
                    1000 * (after.gatherSeconds - warm.gatherSeconds) / Double(steps),
                    1000 * (after.allreduceSeconds - warm.allreduceSeconds) / Double(steps),
                    (after.allreduceBytes - warm.allreduceBytes) / steps))
        }
        Distributed.finish()
    }
}
