#!/usr/bin/env bash
# Decode / prefill speed and peak memory of the BitNet a4.8 / v2 modes on the 2B-4T shape (synthetic I2_S weights,
# Q8_0 head), modes alternating round by round so each round sees the same machine: ROUNDS rounds of `bitnative bench
# -p 128 -n 32 -r 2` per mode and thread count; prints each run's JSON summary line (median over runs is taken by the
# reader, docs/PERFORMANCE.md). Needs the synthetic models (bench --synthetic 2b4t creates the b1.58 one;
# `bitnative make-model --shape 2b4t --head q8_0 --recipe v2 --vocab ... -o .cache/models/synthetic-2b4t-v2.gguf`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B158="$ROOT/.cache/models/synthetic-2b4t-bitnet-b1.58-i2_s-q8_0-seed1.gguf"
V2="$ROOT/.cache/models/synthetic-2b4t-v2.gguf"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-1 2}"
export BITNATIVE_CACHE_DIR="${BITNATIVE_CACHE_DIR:-$ROOT/.cache/plans}"
bitnative() { dotnet "$ROOT/artifacts/bin/BitNative.Cli/release/BitNative.Cli.dll" "$@"; }
modes=(
  "dense|$B158|"
  "topk|$B158|--sparsity 0.5,0.8"
  "kv-q3|$B158|--kv q3"
  "int4|$B158|--act int4"
  "a4.8-all|$B158|--act int4 --sparsity 0.5,0.8 --kv q3"
  "v2-all|$V2|"
)
for t in $THREADS; do
  for round in $(seq "$ROUNDS"); do
    for m in "${modes[@]}"; do
      IFS='|' read -r name file opts <<<"$m"
      # shellcheck disable=SC2086
      json="$(bitnative bench -m "$file" -p 128 -n 32 -r 2 -t "$t" --json $opts 2>/dev/null)"
      python3 -c 'import json,sys; r=json.loads(sys.argv[1])["runs"][0]; print(sys.argv[2], sys.argv[3], sys.argv[4], "prefill", round(r["prefill"]["median"],2), "decode", round(r["decode"]["median"],2), "rss_mib", round(r["peakRssBytesProcess"]/2**20), "kv_mib", round(r["kvCacheBytes"]/2**20,2))' "$json" "$name" "t=$t" "round=$round"
    done
  done
done
