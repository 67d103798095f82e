#ifndef DETOX_MPI_SHIM_H
#define DETOX_MPI_SHIM_H
// Open MPI's C interface (Debian's libopenmpi-dev; pkg-config `ompi`). Its handles (the world
// communicator, datatypes, the sum operation, error handlers) are macros over global objects, which
// Swift cannot import, so each is given here as a function. Only DetoxDistributed imports this.
#include <mpi.h>

static inline MPI_Comm detox_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype detox_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype detox_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype detox_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype detox_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op detox_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Errhandler detox_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }
static inline void *detox_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int detox_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int detox_mpi_success(void) { return MPI_SUCCESS; }
#endif
