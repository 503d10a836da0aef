#!/usr/bin/env bash
# Fetches the peer engines the benchmarks compare against, from the npm registry, into .cache/peers/
# (never committed): llama.cpp's prebuilt CPU backends (@node-llama-cpp/linux-x64: libggml-cpu-*.so with
# ggml_vec_dot_tq2_0_q8_K & co.), the kernel benchmarks' peer. Whole-model comparisons (build/bench-peers.sh) use the
# prebuilt llama.cpp and bitnet.cpp binaries instead.
# Idempotent: does nothing when the files are already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/peers"
mkdir -p "$DEST"

fetch_tarball() { # <package> <folder>
  local pkg="$1" dir="$DEST/$2"
  if [[ -f "$dir/package.json" ]]; then return 0; fi
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  mkdir -p "$dir"
  tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
  echo "fetched $pkg into $dir" >&2
}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) fetch_tarball @node-llama-cpp/linux-x64 llama-cpp-linux-x64 ;;
  Linux-aarch64) fetch_tarball @node-llama-cpp/linux-arm64 llama-cpp-linux-arm64 ;;
  *) echo "no prebuilt llama.cpp peer for $(uname -s)-$(uname -m)" >&2 ;;
esac
