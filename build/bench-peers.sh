#!/usr/bin/env bash
# Whole-token speed of BitNative against llama.cpp (through node-llama-cpp) on one synthetic BitNet-b1.58-2B-4T-shaped
# file both engines read: llama.cpp's `bitnet` architecture with TQ2_0 (or TQ1_0) projections.
#
#   build/bench-peers.sh [--threads 1,2] [--prompt 128] [--gen 64] [--reps 3] [--head q8_0|f16] [--weights tq2_0|tq1_0]
#                        [--model FILE.gguf] [--out FILE.md]
#
#   --threads   comma-separated thread counts (default 1,2)
#   --prompt    prompt tokens, evaluated as one batch (default 128)
#   --gen       decoded tokens (default 64)
#   --reps      rounds per thread count; each round runs BitNative, then llama.cpp, each in a fresh process (default 3)
#   --head      storage of the tied embedding / output head (default q8_0)
#   --weights   storage of the ternary projections (default tq2_0)
#   --model     use this llama.cpp-readable GGUF instead of the synthetic one (--head/--weights are then ignored)
#   --out       also write the markdown report to this file
#
# Prerequisites it sets up itself: node-llama-cpp in .cache/peers (build/fetch-peers.sh --engine), the Llama-3
# vocabulary (build/fetch-test-data.sh), and the model, generated once (~1 min, ~0.9-1.2 GB) with `bitnative make-model`
# into .cache/models/synthetic-2b4t-bitnet-<weights>-<head>-seed1.gguf (the name `bitnative bench --synthetic 2b4t
# --synthetic-arch bitnet --synthetic-weights <weights> --synthetic-head <head>` uses too). BitNative must be built
# (./build.sh build). The report (markdown) goes to stdout, progress to stderr. Run it on a quiet machine: the table
# records the load average at the start and the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMAND="build/bench-peers.sh"
for arg in "$@"; do
  if [[ "$arg" =~ ^[A-Za-z0-9_./,:=+-]+$ ]]; then COMMAND+=" $arg"; else COMMAND+=" $(printf '%q' "$arg")"; fi
done
THREADS=1,2 PROMPT=128 GEN=64 REPS=3 HEAD=q8_0 WEIGHTS=tq2_0 MODEL="" OUT=""

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bench-peers.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS="${2:?--threads needs a value}"; shift 2 ;;
    --prompt) PROMPT="${2:?--prompt needs a value}"; shift 2 ;;
    --gen) GEN="${2:?--gen needs a value}"; shift 2 ;;
    --reps) REPS="${2:?--reps needs a value}"; shift 2 ;;
    --head) HEAD="${2:?--head needs a value}"; shift 2 ;;
    --weights) WEIGHTS="${2:?--weights needs a value}"; shift 2 ;;
    --model) MODEL="${2:?--model needs a value}"; shift 2 ;;
    --out) OUT="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ "$THREADS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads '$THREADS' is not a comma-separated list of counts"
for v in PROMPT GEN REPS; do [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--${v,,} must be a positive integer (got '${!v}')"; done
[[ "$HEAD" == q8_0 || "$HEAD" == f16 ]] || die "--head must be q8_0 or f16"
[[ "$WEIGHTS" == tq2_0 || "$WEIGHTS" == tq1_0 ]] || die "--weights must be tq2_0 or tq1_0 (llama.cpp cannot read I2_S)"
command -v node >/dev/null || die "node (18+) is required: it runs llama.cpp through node-llama-cpp"
[[ -f "$ROOT/artifacts/bin/BitNative.Cli/release/BitNative.Cli.dll" ]] || die "BitNative is not built: run ./build.sh build"

log() { echo "bench-peers: $*" >&2; }

# (a) the peer engine and the vocabulary
if [[ ! -d "$ROOT/.cache/peers/node-llama-cpp/node_modules/node-llama-cpp" ]]; then
  log "installing node-llama-cpp (build/fetch-peers.sh --engine)"
  "$ROOT/build/fetch-peers.sh" --engine
fi

# (b) one model file both engines read
if [[ -z "$MODEL" ]]; then
  "$ROOT/build/fetch-test-data.sh" >&2
  MODEL="$ROOT/.cache/models/synthetic-2b4t-bitnet-$WEIGHTS-$HEAD-seed1.gguf"
  if [[ ! -f "$MODEL" ]]; then
    mkdir -p "$(dirname "$MODEL")"
    log "generating $MODEL (about a minute)"
    "$ROOT/bitnative" make-model --shape 2b4t --arch bitnet --weights "$WEIGHTS" --head "$HEAD" --seed 1 \
      --vocab "$ROOT/.cache/tokenizer/llama3/tokenizer.json" -o "$MODEL.partial-$$"
    mv "$MODEL.partial-$$" "$MODEL"
  fi
fi
[[ -f "$MODEL" ]] || die "model $MODEL does not exist"

RUNS="$(mktemp -d)"
trap 'rm -rf "$RUNS"' EXIT
CTX=$((PROMPT + GEN + 16))
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"

# (c) per thread count, rounds of: BitNative, llama.cpp (each a fresh process with its own warm-up)
IFS=, read -r -a THREAD_LIST <<< "$THREADS"
for t in "${THREAD_LIST[@]}"; do
  for ((r = 1; r <= REPS; r++)); do
    log "threads $t, round $r/$REPS: BitNative"
    "$ROOT/bitnative" bench -m "$MODEL" -p "$PROMPT" -n "$GEN" -t "$t" -r 1 -c "$CTX" --json \
      > "$RUNS/ours-t$t-r$r.json" 2> "$RUNS/ours-t$t-r$r.err" \
      || { cat "$RUNS/ours-t$t-r$r.err" >&2; die "bitnative bench failed"; }
    log "threads $t, round $r/$REPS: llama.cpp"
    # --n GEN+1: llama.cpp's first generated token comes out of the prompt evaluation, so GEN decode steps follow it.
    node "$ROOT/build/peers/llama-cpp-run.mjs" "$MODEL" --prompt-tokens "$PROMPT" --n $((GEN + 1)) --threads "$t" \
      --ctx "$CTX" --warmup > "$RUNS/peer-t$t-r$r.json" 2> "$RUNS/peer-t$t-r$r.err" \
      || { cat "$RUNS/peer-t$t-r$r.err" >&2; die "llama.cpp (node build/peers/llama-cpp-run.mjs) failed"; }
  done
done

# (d) the report
report="$(
  BENCH_COMMAND="$COMMAND" BENCH_DATE="$DATE" BENCH_NPROC="$(nproc)" BENCH_KERNEL="$(uname -sr)" \
  BENCH_CPU="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)" \
  BENCH_LOAD_START="$LOAD_START" BENCH_LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)" \
  BENCH_MODEL="$MODEL" BENCH_MODEL_NAME="$(basename "$MODEL")" BENCH_MODEL_BYTES="$(stat -c %s "$MODEL")" \
  BENCH_PROMPT="$PROMPT" BENCH_GEN="$GEN" BENCH_REPS="$REPS" \
  node "$ROOT/build/peers/bench-table.mjs" "$RUNS"
)"
echo "$report"
if [[ -n "$OUT" ]]; then
  echo "$report" > "$OUT"
  log "wrote $OUT"
fi
