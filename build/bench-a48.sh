#!/usr/bin/env bash
# Decode / prefill speed, peak memory and the share of parameters active per token of the BitNet a4.8 / v2 modes on
# the 2B-4T shape (synthetic I2_S weights, Q8_0 head), modes alternating round by round so each round sees the same
# machine: ROUNDS rounds of `bitnative bench -p PROMPT -n GEN -r REPS` per mode and thread count. Prints one line per
# run (the medians are taken by the reader, docs/PERFORMANCE.md). Makes the synthetic models into .cache/models when
# missing (needs the Llama-3 vocabulary of build/fetch-test-data.sh). MODES="dense topk" runs only those modes.
# About 15 s per run on 2 vCPUs: 18 minutes with the defaults (4 rounds x 9 modes x 2 thread counts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B158="$ROOT/.cache/models/synthetic-2b4t-bitnet-b1.58-i2_s-q8_0-seed1.gguf"
V2="$ROOT/.cache/models/synthetic-2b4t-v2.gguf"
VOCAB="$ROOT/.cache/tokenizer/llama3/tokenizer.json"
ROUNDS="${ROUNDS:-4}"
THREADS="${THREADS:-1 2}"
MODES="${MODES:-}"
PROMPT="${PROMPT:-64}" GEN="${GEN:-32}" REPS="${REPS:-2}"
export BITNATIVE_CACHE_DIR="${BITNATIVE_CACHE_DIR:-$ROOT/.cache/plans}"
bitnative() { dotnet "$ROOT/artifacts/bin/BitNative.Cli/release/BitNative.Cli.dll" "$@"; }
[[ -f "$B158" ]] || bitnative make-model --shape 2b4t --head q8_0 --vocab "$VOCAB" -o "$B158"
[[ -f "$V2" ]] || bitnative make-model --shape 2b4t --head q8_0 --recipe v2 --vocab "$VOCAB" -o "$V2"
modes=(
  "dense|$B158|"
  "kv-q8|$B158|--kv q8"
  "kv-q4|$B158|--kv q4"
  "kv-q3|$B158|--kv q3"
  "topk|$B158|--sparsity 0.5,0.8"
  "int4|$B158|--act int4"
  "a4.8-all|$B158|--act int4 --sparsity 0.5,0.8 --kv q3"
  "hadamard-a8|$V2|--act int8 --kv f16"
  "v2-all|$V2|"
)
for t in $THREADS; do
  for round in $(seq "$ROUNDS"); do
    for m in "${modes[@]}"; do
      IFS='|' read -r name file opts <<<"$m"
      [[ -z "$MODES" || " $MODES " == *" $name "* ]] || continue
      # shellcheck disable=SC2086
      json="$(bitnative bench -m "$file" -p "$PROMPT" -n "$GEN" -r "$REPS" -t "$t" --json $opts 2>/dev/null)"
      python3 -c 'import json,sys; r=json.loads(sys.argv[1])["runs"][0]; print(sys.argv[2], sys.argv[3], sys.argv[4], "prefill", round(r["prefill"]["median"],2), "decode", round(r["decode"]["median"],2), "rss_mib", round(r["peakRssBytesProcess"]/2**20), "kv_mib", round(r["kvCacheBytes"]/2**20,2), "active", round(100*r["activeParameterShare"],1))' "$json" "$name" "t=$t" "round=$round"
    done
  done
done
