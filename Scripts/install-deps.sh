#!/usr/bin/env bash
# Installs the system packages Detox needs to build: oneDNN (libdnnl-dev, its sgemm and OpenMP) and
# Open MPI (libopenmpi-dev for mpi.h and libmpi, openmpi-bin for mpirun), which data-parallel runs use.
# Idempotent: does nothing when they are present. Runs as root (CI) or through sudo.
set -euo pipefail

if [[ "$(uname -s)" == "Darwin" ]]; then
    echo "install-deps: macOS uses Accelerate; nothing to install"
    exit 0
fi

missing=()
for package in libdnnl-dev libopenmpi-dev openmpi-bin; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: libdnnl-dev, libopenmpi-dev and openmpi-bin are installed"
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]} with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
echo "install-deps: done"
