#!/usr/bin/env bash
# Decode speed of every weight format the model families use, at BitNet-b1.58-2B-4T's shape and at the 8B shape of
# Ternary Bonsai-8B / Llama3-8B-1.58, next to llama.cpp on the same file where it reads the format (llama-bench; it
# reads TQ2_0, TQ1_0, Q2_0 and Q1_0, not I2_S nor PrismML's 128-weight Q2_0). Files are written once by
# `bitnative make-model` into .cache/models/families (~25 GB in all) and kept. Engines alternate per round, each in a
# fresh process; the median of the rounds is reported. Prints a markdown table.
#   build/bench-families.sh [--threads 2] [--gen 32] [--reps 3] [--only 2b4t|8b] [--make-only]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS=2 GEN=32 REPS=3 ONLY="" MAKE_ONLY=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --gen) GEN="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --make-only) MAKE_ONLY=1; shift ;;
    *) echo "bench-families.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
LLAMA="${BITNATIVE_PEERS:-$ROOT/../shared/peers}/llama-cpp/bin"
[[ -x "$LLAMA/llama-bench" ]] || LLAMA=/work/shared/peers/llama-cpp/bin
BN="$ROOT/bitnative"
DIR="$ROOT/.cache/models/families"
mkdir -p "$DIR"
"$ROOT/build/fetch-test-data.sh" >/dev/null
VOCAB="$ROOT/.cache/tokenizer/llama3/tokenizer.json"

make() { # file, make-model arguments...
  local file="$DIR/$1"; shift
  [[ -f "$file" ]] || "$BN" make-model "$@" -o "$file" >&2
  echo "$file"
}

ours() { "$BN" bench -m "$1" -t "$THREADS" -p 0 -n "$GEN" -r 1 --json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).runs[0].decode.median))'; }
theirs() { "$LLAMA/llama-bench" -m "$1" -t "$THREADS" -p 0 -n "$GEN" -r 1 -o json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s)[0].avg_ts))'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { printf "%.2f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

row() { # shape, format, file, llama (yes|no)
  local shape="$1" format="$2" file="$3" peer="$4" a=() b=()
  [[ "$MAKE_ONLY" == 1 ]] && { echo "made $file" >&2; return; }
  for ((r = 0; r < REPS; r++)); do
    a+=("$(ours "$file")")
    [[ "$peer" == yes ]] && b+=("$(theirs "$file")")
  done
  local mb; mb=$(( $(stat -c %s "$file") / 1000000 ))
  echo "| $shape | $format | $mb MB | $(median "${a[@]}") | $([[ "$peer" == yes ]] && median "${b[@]}" || echo "cannot read it") |"
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx512vnni|f16c|fma)$' | sort -u | paste -sd' '); $THREADS threads, decode of $GEN tokens, median of $REPS rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| shape | format (layout) | file | BitNative tok/s | llama.cpp tok/s |"
echo "|---|---|---|---|---|"
if [[ "$ONLY" != 8b ]]; then
  row 2B-4T "I2_S (bitnet-b1.58, F16 embedding)" "$(make i2s-2b4t.gguf --family bitnet-2b4t --shape full)" no
  row 2B-4T "TQ2_0 (bitnet, Q6_K embedding)" "$(make tq2-2b4t.gguf --shape 2b4t --arch bitnet --weights tq2_0 --head q6_k --vocab "$VOCAB")" yes
  row 2B-4T "TQ1_0 (bitnet, Q6_K embedding)" "$(make tq1-2b4t.gguf --shape 2b4t --arch bitnet --weights tq1_0 --head q6_k --vocab "$VOCAB")" yes
  row 2B-4T "Q2_0 (qwen3 layout, Q8_0 embedding and head)" "$(make q2_0-2b4t.gguf --family bonsai-ternary --shape 2b4t)" yes
  row 2B-4T "Q2_0_G128 (PrismML)" "$(make q2_0g128-2b4t.gguf --family bonsai-ternary-g128 --shape 2b4t)" no
  row 2B-4T "Q1_0 (qwen3 layout)" "$(make q1_0-2b4t.gguf --family bonsai-binary --shape 2b4t)" yes
fi
if [[ "$ONLY" != 2b4t ]]; then
  row 8B "I2_S (Llama3-8B-1.58: llama, F32 embedding, F16 head)" "$(make i2s-8b.gguf --family llama3-8b-1.58 --shape full)" no
  row 8B "Q2_0 (Ternary Bonsai-8B)" "$(make q2_0-8b.gguf --family bonsai-ternary --shape full)" yes
  row 8B "Q2_0_G128 (PrismML)" "$(make q2_0g128-8b.gguf --family bonsai-ternary-g128 --shape full)" no
  row 8B "Q1_0 (Bonsai-8B binary)" "$(make q1_0-8b.gguf --family bonsai-binary --shape full)" yes
fi
