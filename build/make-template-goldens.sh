#!/usr/bin/env bash
# Regenerates tests/data/templates/goldens.json: every chat template of tests/data/templates (the ones the model
# families' files carry: Falcon3, Qwen3 / Bonsai, Llama-3, BitNet) rendered over fixed conversations by
# @huggingface/jinja (npm), the reference BitNative's Jinja-subset interpreter is tested against. The package is
# installed into .cache/jinja (never committed); the tests read only the committed goldens.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/jinja"
PKG="@huggingface/jinja@0.5.13"
command -v npm >/dev/null || { echo "make-template-goldens.sh: npm is required (Node 18+)" >&2; exit 1; }
if [[ ! -d "$DEST/node_modules/@huggingface/jinja" ]]; then
  mkdir -p "$DEST"
  (cd "$DEST" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "$PKG" >/dev/null)
fi
cp "$ROOT/tests/data/templates/make-goldens.mjs" "$DEST/make-goldens.mjs"
sed -i "s|const here = .*|const here = \"$ROOT/tests/data/templates\";|" "$DEST/make-goldens.mjs"
(cd "$DEST" && node make-goldens.mjs)
