#!/usr/bin/env bash
# Two "machines" on one: two network namespaces joined by a veth pair, one Open MPI rank in each,
# talking over TCP only (no shared memory), so what crosses a network is exercised.
#
#   Scripts/mpi-netns-test.sh [DETOX_BINARY]    (as root; default .build/release/detox)
#
# DETOX_WORLD=FOLDER reuses a demo world built by `detox demo --world-only --quick` (building one
# takes 1–7 minutes on 2 busy cores; the runs themselves take seconds).
#
# mpirun runs in the first namespace; its launcher reaches the second through a plm "rsh agent"
# that runs the remote daemon with `ip netns exec`, where a real cluster would use ssh. The job
# fine-tunes the tiny demo world's T5 for a few steps with 2 ranks (one per namespace) and with one
# plain process, and compares the adapters and the metrics. Exits 0 when they match, 1 when not,
# 77 (skipped) without root, iproute2, mpirun or the right to create network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
detox=$(realpath "${1:-.build/release/detox}")
skip() { echo "mpi-netns-test: skipped: $*"; exit 77; }
[[ "$(id -u)" -eq 0 ]] || skip "needs root for ip netns"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
command -v mpirun >/dev/null || skip "mpirun is not installed (Scripts/install-deps.sh)"
[[ -x "$detox" ]] || skip "no detox binary at $detox (swift build -c release --product detox)"

tag="detox$$"
ns=("${tag}a" "${tag}b")
addresses=(10.231.0.1 10.231.0.2)
work=$(mktemp -d)
cleanup() {
    ip netns del "${ns[0]}" 2>/dev/null || true
    ip netns del "${ns[1]}" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "${ns[0]}" 2>/dev/null || skip "this machine refuses to create a network namespace"
ip netns add "${ns[1]}"
for i in 0 1; do
    ip -n "${ns[$i]}" link set lo up
done
ip link add "${tag}0" netns "${ns[0]}" type veth peer name "${tag}1" netns "${ns[1]}"
for i in 0 1; do
    ip -n "${ns[$i]}" addr add "${addresses[$i]}/24" dev "${tag}$i"
    ip -n "${ns[$i]}" link set "${tag}$i" up
done

# The launcher's "ssh": the host name is an address; run the daemon's command in its namespace.
cat >"$work/agent.sh" <<EOF
#!/usr/bin/env bash
host=\$1; shift
case "\$host" in
    ${addresses[0]}) space=${ns[0]} ;;
    ${addresses[1]}) space=${ns[1]} ;;
    *) echo "agent: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$space" /bin/sh -c "\$*"
EOF
chmod +x "$work/agent.sh"
printf '%s slots=1\n%s slots=1\n' "${addresses[0]}" "${addresses[1]}" >"$work/hostfile"

# The tiny world (T5, tokenizer, dialogues) from the demo, built once into the work folder.
world=${DETOX_WORLD:-}
if [[ -z "$world" ]]; then
    world=$("$detox" demo --world-only --quick --quiet --out "$work/demo")
fi
mkdir -p "$work/model"
cp "$world"/models/tiny-t5/* "$work/model/"
model="$work/model"
data="$world/datasets/dialogsum/train.csv"
# Dropout off in the model, so 1 process and 2 ranks draw no masks (masks follow each rank's layout).
python3 -c 'import json, sys; p = sys.argv[1]; c = json.load(open(p)); c["dropout_rate"] = 0.0; json.dump(c, open(p, "w"))' \
    "$model/config.json"
run() {
    local out=$1
    shift
    "$@" "$detox" finetune --model "$model" --train "$data" --out "$out" --steps 3 --batch-size 4 \
        --lora-rank 2 --lora-dropout 0 --evaluate-every 1 --max-source-length 48 --quiet
}
start=$(date +%s)
OMP_NUM_THREADS=1 run "$work/single"
run "$work/pair" ip netns exec "${ns[0]}" mpirun --allow-run-as-root -np 2 --hostfile "$work/hostfile" \
    --mca plm_rsh_agent "$work/agent.sh" --mca btl tcp,self --mca btl_tcp_if_include 10.231.0.0/24 \
    --mca oob_tcp_if_include 10.231.0.0/24 -x OMP_NUM_THREADS=1
echo "mpi-netns-test: 2 ranks in 2 namespaces over TCP, and 1 process, in $(($(date +%s) - start)) s"

# Same adapter (1e-5 of each tensor's largest magnitude) and metrics (1e-5 relative).
python3 - "$work/single" "$work/pair" <<'EOF'
import json, struct, sys

def tensors(run):
    raw = open(f"{run}/adapter/adapter_model.safetensors", "rb").read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        blob = raw[8 + size + start:8 + size + end]
        out[name] = struct.unpack(f"<{len(blob) // 4}f", blob)
    return out

def metrics(run):
    return [json.loads(line) for line in open(f"{run}/metrics.jsonl") if line.strip()]

single, pair = sys.argv[1], sys.argv[2]
a, b = tensors(single), tensors(pair)
assert a and a.keys() == b.keys(), "adapter tensors differ in names"
for name in a:
    scale = max(abs(x) for x in a[name]) or 1.0
    worst = max(abs(x - y) for x, y in zip(a[name], b[name]))
    assert len(a[name]) == len(b[name]) and worst <= 1e-5 * scale, f"{name}: {worst} > 1e-5 x {scale}"
ma, mb = metrics(single), metrics(pair)
assert ma and len(ma) == len(mb), "metrics lines differ"
for la, lb in zip(ma, mb):
    for key, value in la.items():
        if isinstance(value, float):
            assert abs(lb[key] - value) <= 1e-5 * abs(value), f"{key}: {lb[key]} vs {value}"
print(f"mpi-netns-test: adapters ({len(a)} tensors) and {len(ma)} metrics lines match")
EOF
