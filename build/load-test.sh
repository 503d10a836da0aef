#!/usr/bin/env bash
# Bounded load test of `bitnative serve` on loopback (run on demand; not part of ./build.sh test):
# starts the server, waits for /health, runs tools/BitNative.LoadTest (N concurrent streaming chat completions for S
# seconds: p50/p99 time to first token and inter-token latency, aggregate tokens/s, errors, server memory before and
# after), then stops the server.
#
#   build/load-test.sh [-m MODEL] [--streams 32] [--seconds 60] [--parallel 32] [--max-tokens 64] [-t THREADS] [-c CTX]
# Needs a build (./build.sh). Default model: the bundled models/default.gguf.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="$ROOT/models/default.gguf"; STREAMS=32; SECONDS_=60; PARALLEL=32; MAX_TOKENS=64; THREADS=0; CTX=512; PORT=18199
while [[ $# -gt 0 ]]; do
  case "$1" in
    -m) MODEL="$2"; shift 2 ;;
    --streams) STREAMS="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    --parallel) PARALLEL="$2"; shift 2 ;;
    --max-tokens) MAX_TOKENS="$2"; shift 2 ;;
    -t) THREADS="$2"; shift 2 ;;
    -c) CTX="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    *) echo "load-test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
BIN="$ROOT/artifacts/bin"
[[ -f "$BIN/BitNative.Cli/release/BitNative.Cli.dll" && -f "$BIN/BitNative.LoadTest/release/BitNative.LoadTest.dll" ]] \
  || { echo "build first: ./build.sh" >&2; exit 1; }

LOG="$(mktemp)"
# --force-ctx: the default -c 512 is above the bundled model's 256 trained positions; the load test's short prompts and
# replies never reach past them, the slots are only allocated that large (as in the measurements of docs/PERFORMANCE.md).
dotnet "$BIN/BitNative.Cli/release/BitNative.Cli.dll" serve -m "$MODEL" --port "$PORT" --parallel "$PARALLEL" \
  --queue "$STREAMS" -c "$CTX" --force-ctx -t "$THREADS" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.2
done
grep "ready" "$LOG" || true
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs," \
  "flags: $(grep -o -w -E 'avx512[a-z_]*|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
dotnet "$BIN/BitNative.LoadTest/release/BitNative.LoadTest.dll" --url "http://127.0.0.1:$PORT" --streams "$STREAMS" \
  --seconds "$SECONDS_" --max-tokens "$MAX_TOKENS"
