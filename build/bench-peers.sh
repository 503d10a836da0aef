#!/usr/bin/env bash
# Whole-token speed of BitNative against the peers on the peers' own files, engines alternating round by round.
#
#   build/bench-peers.sh [--threads 1,2] [--prompt 128] [--gen 64] [--reps 3] [--only llama.cpp|bitnet.cpp]
#                        [--model FILE.gguf --peer llama.cpp|bitnet.cpp] [--out FILE.md]
#
#   --threads   comma-separated thread counts (default 1,2)
#   --prompt    prompt tokens, evaluated as one batch (default 128)
#   --gen       decoded tokens (default 64)
#   --reps      rounds per file and thread count; each round runs BitNative, then the peer, each in a fresh
#               process (default 3)
#   --only      run one of the two default comparisons
#   --model     compare on this GGUF instead, against --peer
#   --out       also write the markdown report to this file
#
# The default comparisons, each on the file the peer's own quantizer writes from one BitNet-b1.58-2B-4T-shaped F16
# GGUF (llama.cpp's `bitnet` architecture, ternary x scale weights, written once by `bitnative make-model`, ~4.8 GB):
#   - llama.cpp (llama-bench) on its TQ2_0 file: `llama-quantize F16 OUT TQ2_0`, which stores the tied embedding /
#     output head as Q6_K;
#   - bitnet.cpp (its llama-bench) on its I2_S file: `llama-quantize F16 OUT I2_S 1` (one thread, as its README says),
#     which keeps the embedding / head F16.
# BitNative runs each file with its defaults (kernel plan measured at load, int8 activations, the head as stored).
# The peers are the prebuilt binaries in $BITNATIVE_PEERS (default: ../shared/peers next to the repository:
# llama-cpp/bin and bitnet-cpp/bin). Files go to .cache/models/peer-made/ (kept for the next run). BitNative must be
# built (./build.sh build); the Llama-3 vocabulary is fetched by build/fetch-test-data.sh. The report (markdown) goes to
# stdout, progress to stderr. Run it on a quiet machine: the table records the load average at the start and the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMAND="build/bench-peers.sh"
for arg in "$@"; do
  if [[ "$arg" =~ ^[A-Za-z0-9_./,:=+-]+$ ]]; then COMMAND+=" $arg"; else COMMAND+=" $(printf '%q' "$arg")"; fi
done
THREADS=1,2 PROMPT=128 GEN=64 REPS=3 ONLY="" MODEL="" PEER="" OUT=""
PEERS="${BITNATIVE_PEERS:-$ROOT/../shared/peers}"

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bench-peers.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS="${2:?--threads needs a value}"; shift 2 ;;
    --prompt) PROMPT="${2:?--prompt needs a value}"; shift 2 ;;
    --gen) GEN="${2:?--gen needs a value}"; shift 2 ;;
    --reps) REPS="${2:?--reps needs a value}"; shift 2 ;;
    --only) ONLY="${2:?--only needs a value}"; shift 2 ;;
    --model) MODEL="${2:?--model needs a value}"; shift 2 ;;
    --peer) PEER="${2:?--peer needs a value}"; shift 2 ;;
    --out) OUT="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ "$THREADS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads '$THREADS' is not a comma-separated list of counts"
for v in PROMPT GEN REPS; do [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--${v,,} must be a positive integer (got '${!v}')"; done
[[ -z "$ONLY" || "$ONLY" == llama.cpp || "$ONLY" == bitnet.cpp ]] || die "--only must be llama.cpp or bitnet.cpp"
[[ -z "$MODEL" || "$PEER" == llama.cpp || "$PEER" == bitnet.cpp ]] || die "--model needs --peer llama.cpp or bitnet.cpp"
command -v node >/dev/null || die "node (18+) is required: it writes the report"
[[ -f "$ROOT/artifacts/bin/BitNative.Cli/release/BitNative.Cli.dll" ]] || die "BitNative is not built: run ./build.sh build"

log() { echo "bench-peers: $*" >&2; }
peer_dir() { case "$1" in llama.cpp) echo "$PEERS/llama-cpp/bin" ;; bitnet.cpp) echo "$PEERS/bitnet-cpp/bin" ;; esac; }
for p in llama.cpp bitnet.cpp; do
  [[ -n "$ONLY" && "$ONLY" != "$p" ]] && continue
  [[ -n "$MODEL" && "$PEER" != "$p" ]] && continue
  [[ -x "$(peer_dir "$p")/llama-bench" ]] || die "$p is not at $(peer_dir "$p") (set BITNATIVE_PEERS to the folder holding llama-cpp/ and bitnet-cpp/)"
done

# (a) the files: given, or made by each peer's own quantizer from one F16 GGUF
MADE="$ROOT/.cache/models/peer-made"
make_f16() {
  local f16="$MADE/2b4t-bitnet-f16.gguf"
  if [[ ! -f "$f16" ]]; then
    "$ROOT/build/fetch-test-data.sh" >&2
    mkdir -p "$MADE"
    log "writing the F16 source model $f16 (~4.8 GB, a few minutes)"
    "$ROOT/bitnative" make-model --shape 2b4t --arch bitnet --weights f16 --head f16 --seed 1 \
      --vocab "$ROOT/.cache/tokenizer/llama3/tokenizer.json" -o "$f16.partial-$$" >&2
    mv "$f16.partial-$$" "$f16"
  fi
  echo "$f16"
}
quantized() { # quantized PEER -> path of the peer-made file
  local peer="$1" out
  case "$peer" in
    llama.cpp) out="$MADE/2b4t-bitnet-tq2_0-by-llama.cpp.gguf" ;;
    bitnet.cpp) out="$MADE/2b4t-bitnet-i2_s-by-bitnet.cpp.gguf" ;;
  esac
  if [[ ! -f "$out" ]]; then
    local f16 tmp; f16="$(make_f16)"; tmp="$MADE/partial-$$-$(basename "$out")"
    log "quantizing with $peer's llama-quantize: $out"
    case "$peer" in
      llama.cpp) "$(peer_dir llama.cpp)/llama-quantize" "$f16" "$tmp" TQ2_0 "$(nproc)" > "$tmp.log" 2>&1 ;;
      bitnet.cpp) "$(peer_dir bitnet.cpp)/llama-quantize" "$f16" "$tmp" I2_S 1 > "$tmp.log" 2>&1 ;; # one thread: see the peer's README
    esac || { tail -n 20 "$tmp.log" >&2; rm -f "$tmp"; die "$peer's llama-quantize failed"; }
    rm -f "$tmp.log"
    mv "$tmp" "$out"
  fi
  echo "$out"
}

declare -a PAIRS=() # "peer|file"
if [[ -n "$MODEL" ]]; then
  [[ -f "$MODEL" ]] || die "model $MODEL does not exist"
  PAIRS+=("$PEER|$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")")
else
  for p in llama.cpp bitnet.cpp; do
    [[ -n "$ONLY" && "$ONLY" != "$p" ]] && continue
    PAIRS+=("$p|$(quantized "$p")")
  done
fi

RUNS="$(mktemp -d)"
trap 'rm -rf "$RUNS"' EXIT
CTX=$((PROMPT + GEN + 16))
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"

# (b) per file and thread count, rounds of: BitNative, then the peer (each a fresh process)
IFS=, read -r -a THREAD_LIST <<< "$THREADS"
for pair in "${PAIRS[@]}"; do
  peer="${pair%%|*}" file="${pair#*|}"
  tag="$(basename "$file" .gguf)"
  echo "$peer" > "$RUNS/$tag.peer"
  echo "$file" > "$RUNS/$tag.file"
  for t in "${THREAD_LIST[@]}"; do
    for ((r = 1; r <= REPS; r++)); do
      log "$tag, threads $t, round $r/$REPS: BitNative"
      "$ROOT/bitnative" bench -m "$file" -p "$PROMPT" -n "$GEN" -t "$t" -r 1 -c "$CTX" --json \
        > "$RUNS/$tag.ours-t$t-r$r.json" 2> "$RUNS/$tag.ours-t$t-r$r.err" \
        || { cat "$RUNS/$tag.ours-t$t-r$r.err" >&2; die "bitnative bench failed"; }
      log "$tag, threads $t, round $r/$REPS: $peer"
      "$(peer_dir "$peer")/llama-bench" -m "$file" -p "$PROMPT" -n "$GEN" -t "$t" -r 1 -o json \
        > "$RUNS/$tag.peer-t$t-r$r.json" 2> "$RUNS/$tag.peer-t$t-r$r.err" \
        || { cat "$RUNS/$tag.peer-t$t-r$r.err" >&2; die "$peer's llama-bench failed"; }
    done
  done
done

# (c) the report
report="$(
  BENCH_COMMAND="$COMMAND" BENCH_DATE="$DATE" BENCH_NPROC="$(nproc)" BENCH_KERNEL="$(uname -sr)" \
  BENCH_CPU="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)" \
  BENCH_FLAGS="$(grep -o -w -E 'avx512[a-z_]*|avx2' /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ')" \
  BENCH_LOAD_START="$LOAD_START" BENCH_LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)" \
  BENCH_PROMPT="$PROMPT" BENCH_GEN="$GEN" BENCH_REPS="$REPS" \
  node "$ROOT/build/peers/bench-table.mjs" "$RUNS"
)"
echo "$report"
if [[ -n "$OUT" ]]; then
  echo "$report" > "$OUT"
  log "wrote $OUT"
fi
