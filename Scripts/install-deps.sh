#!/usr/bin/env bash
# Installs the system packages Detox needs to build: OpenBLAS (libopenblas-dev) and pkg-config.
# Idempotent: does nothing when they are present. Runs as root (CI) or through sudo.
set -euo pipefail

if [[ "$(uname -s)" == "Darwin" ]]; then
    echo "install-deps: macOS uses Accelerate; nothing to install"
    exit 0
fi

missing=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || missing+=(libopenblas-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: libopenblas-dev and pkg-config are installed"
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]} with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
echo "install-deps: done"
