import Foundation

/// The process's world: one process when started alone, N ranks under `mpirun -np N`.
///
/// The same `detox` binary does both. A process counts as launched by `mpirun` when Open MPI's
/// launcher variables are in its environment (`OMPI_COMM_WORLD_SIZE`, or `PMIX_RANK` from a PMIx
/// launcher); only then is MPI initialized.
public enum Distributed {
    nonisolated(unsafe) private static var cached: (any Communicator)?

    /// Whether `environment` says the process was started by an MPI launcher.
    public static func isLaunchedByMPI(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// The world communicator, created on first use (call it from the main thread): MPI's world
    /// under `mpirun`, else a ``SingleProcessCommunicator``.
    public static func world() throws -> any Communicator {
        if let cached { return cached }
        let world: any Communicator =
            isLaunchedByMPI() ? try MPICommunicator() : SingleProcessCommunicator()
        cached = world
        return world
    }

    /// Ends MPI after a successful run (nothing when MPI was never started).
    public static func finish() {
        (cached as? MPICommunicator)?.finalize()
    }

    /// Ends the whole job after a failure on this rank: under `mpirun` every rank exits with
    /// `code` (no rank is left waiting in a collective); alone, this process exits.
    public static func abort(code: Int32) -> Never {
        if let world = cached as? MPICommunicator, world.size > 1 { world.abort(code: code) }
        (cached as? MPICommunicator)?.finalize()
        exit(code)
    }

    /// The OpenMP team size this rank should use, or nil to leave the runtime's choice alone.
    ///
    /// `OMP_NUM_THREADS`, when set, wins (the runtime already read it). A rank that `mpirun` bound
    /// to some cores already gets a team of that many. A rank that may run on every core while
    /// `OMPI_COMM_WORLD_LOCAL_SIZE` ranks share the machine (`--oversubscribe`, `--bind-to none`)
    /// takes `cores / local ranks` (at least one), so 2 ranks × 1 thread on 2 cores do not
    /// oversubscribe.
    public static func threadsPerRank(environment: [String: String], onlineCores: Int, usableCores: Int) -> Int? {
        guard environment["OMP_NUM_THREADS"] == nil, usableCores >= onlineCores,
            let localSize = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap({ Int($0) }), localSize > 1
        else { return nil }
        return Swift.max(1, onlineCores / localSize)
    }

    /// ``threadsPerRank(environment:onlineCores:usableCores:)`` for this process: the cores the
    /// machine has online and the cores its affinity mask allows.
    public static func threadsPerRank() -> Int? {
        let online = Swift.max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return threadsPerRank(
            environment: ProcessInfo.processInfo.environment, onlineCores: online, usableCores: usableCores() ?? online)
    }

    /// The number of cores in this process's affinity mask (Linux: the `Cpus_allowed` mask of
    /// `/proc/self/status`), or nil where unknown.
    static func usableCores() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        return allowedCores(mask: String(line.dropFirst("Cpus_allowed:".count)))
    }

    /// The cores in a hexadecimal affinity mask as `/proc` writes it (`ff,ffffffff`), or nil.
    static func allowedCores(mask: String) -> Int? {
        var count = 0
        for character in mask where character != "," && !character.isWhitespace {
            guard let digit = character.hexDigitValue else { return nil }
            count += digit.nonzeroBitCount
        }
        return count
    }
}
