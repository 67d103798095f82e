#!/usr/bin/env bash
# `make bench`'s data-parallel section: a LoRA fine-tuning step with 2 ranks x 1 thread
# (mpirun -np 2) against 1 rank x 2 threads, in alternating pairs so the machine's drift touches
# both alike, with the allreduce time per step that the 2-rank runs report (which includes waiting
# for the slower rank). 1 rank x 1 thread runs beside them as the reference a team of 2 must beat:
# on a machine whose cores other processes also load, an OpenMP team of 2 can lose to it.
#
# The model is the demo world's tiny T5 (built once into .build/mpi-bench); each run trains STEPS
# steps of batch 16 from scratch and reports its mean step time (the first step, which warms up,
# included). Skipped with a message when mpirun is missing.
#
# Then the PPO step of a t5-small-sized policy (transformers' T5Config() shapes with random weights,
# since the Hub is not reachable here; detox-bench's `ppo` case: r=32 LoRA on q,v, batch 16,
# minibatches of 4, 4 epochs, 256-token queries, 65-token responses): one pair of runs, 1 rank x 2
# threads and 2 ranks x 1 thread, each PPO_STEPS timed steps after a warm-up, with the time per step
# the ranks spent in the rollout's allgather and in the allreduces (minibatch statistics and
# gradients). It needs detox-bench beside the detox binary (`make bench` builds both).
#
#   Scripts/bench/mpi_bench.sh [DETOX_BINARY] [PAIRS] [STEPS] [PPO_STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
detox=$(realpath "${1:-.build/release/detox}")
pairs=${2:-3}
steps=${3:-8}
ppo_steps=${4:-2}
command -v mpirun >/dev/null || { echo "mpi bench: skipped (no mpirun; Scripts/install-deps.sh)"; exit 0; }
work=.build/mpi-bench
mkdir -p "$work"
"$detox" demo --world-only --quick --quiet --out "$work/demo" >/dev/null
model="$work/demo/world/models/tiny-t5"
data="$work/demo/world/datasets/dialogsum/train.csv"

# Prints "MS_PER_STEP ALLREDUCE_MS BYTES" of one run.
run() {
    local out="$work/run"
    rm -rf "$out"
    "$@" "$detox" finetune --model "$model" --train "$data" --out "$out" --steps "$steps" --batch-size 16 \
        --lora-rank 32 --lora-alpha 32 --max-source-length 128 |
        sed -n 's/.* steps in .*: \([0-9.]*\) ms per step, allreduce \([0-9.]*\) ms per step (\([0-9]*\) bytes).*/\1 \2 \3/p'
}

single=()
pair=()
reduce=()
alone=()
for ((i = 0; i < pairs; i++)); do
    read -r ms _ _ < <(OMP_NUM_THREADS=1 run)
    alone+=("$ms")
    read -r ms _ _ < <(OMP_NUM_THREADS=2 run)
    single+=("$ms")
    read -r ms allreduce bytes < <(run mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1)
    pair+=("$ms")
    reduce+=("$allreduce")
    echo "pair $((i + 1)): 1 rank x 2 threads ${single[$i]} ms/step, 2 ranks x 1 thread ${pair[$i]} ms/step (allreduce $allreduce ms, $bytes bytes); 1 rank x 1 thread ${alone[$i]} ms/step"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
s=$(median "${single[@]}")
p=$(median "${pair[@]}")
r=$(median "${reduce[@]}")
a=$(median "${alone[@]}")
awk -v s="$s" -v p="$p" -v r="$r" -v a="$a" 'BEGIN {
    printf "LoRA step, tiny T5, batch 16 (medians): 1 rank x 2 threads %.1f ms, 2 ranks x 1 thread %.1f ms (%.2fx), allreduce %.2f ms per step; 1 rank x 1 thread %.1f ms\n", s, p, p / s, r, a
}'

bench="$(dirname "$detox")/detox-bench"
if [ ! -x "$bench" ]; then
    echo "mpi bench: PPO step skipped (no detox-bench beside $detox)"
    exit 0
fi
# Prints "MS_PER_STEP ALLGATHER_MS ALLREDUCE_MS BYTES" of one run.
ppo() {
    "$@" "$bench" --only ppo-mpi --steps "$ppo_steps" |
        sed -n 's/^ppo-mpi: .* \([0-9.]*\) ms per step, allgather \([0-9.]*\) ms, allreduce \([0-9.]*\) ms per step (\([0-9]*\) bytes).*/\1 \2 \3 \4/p'
}
read -r ms _ _ _ < <(OMP_NUM_THREADS=2 ppo)
read -r pair_ms gather allreduce bytes < <(ppo mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1)
awk -v s="$ms" -v p="$pair_ms" -v g="$gather" -v r="$allreduce" -v b="$bytes" 'BEGIN {
    printf "PPO step, t5-small-sized (random weights), batch 16, mb 4, 4 epochs: 1 rank x 2 threads %.0f ms, 2 ranks x 1 thread %.0f ms (%.2fx), allgather %.2f ms and allreduce %.2f ms per step (%d bytes)\n", s, p, p / s, g, r, b
}'
