#!/usr/bin/env bash
# Fetches the peer engines the benchmarks compare against, from the npm registry, into .cache/peers/
# (never committed): llama.cpp's prebuilt CPU backends (@node-llama-cpp/linux-x64: libggml-cpu-*.so with
# ggml_vec_dot_tq2_0_q8_K & co.) and, with --engine, node-llama-cpp itself to run whole GGUF models.
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

if [[ "${1:-}" == "--engine" ]]; then
  if [[ ! -d "$DEST/node-llama-cpp/node_modules/node-llama-cpp" ]]; then
    mkdir -p "$DEST/node-llama-cpp"
    (cd "$DEST/node-llama-cpp" && [[ -f package.json ]] || npm init -y >/dev/null)
    (cd "$DEST/node-llama-cpp" && npm install --silent --no-audit --no-fund node-llama-cpp >/dev/null)
    echo "installed node-llama-cpp into $DEST/node-llama-cpp" >&2
  fi
fi
