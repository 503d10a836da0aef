#!/usr/bin/env bash
# Nothing lost on a full disk: every output of bitnative (make-model, score --save-logits, quantize) and of the trainer
# (checkpoint, export) is written on a small file system with almost no room left. Each must fail with exit code 3 and
# one "error: ... no space left on device" line, keep the file it would have replaced byte for byte, and leave no
# temporary file behind (quantize keeps OUT.partial on purpose: the next run resumes it). Then, with room, each works.
#
# The file system is a 4 MiB tmpfs, or a 6 MiB ext4 image on a loop device where tmpfs cannot be mounted; both need
# root. Without root (or without either mount) the test does not run: it says so and exits 77, never 0.
#   tests/reliability/full-disk.sh        (after ./build.sh; ./build.sh test runs it)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONFIGURATION="${CONFIGURATION:-Release}"
BIN="$ROOT/artifacts/bin"
CONFIG_DIR="$(echo "$CONFIGURATION" | tr '[:upper:]' '[:lower:]')"
CLI=(dotnet "$BIN/BitNative.Cli/$CONFIG_DIR/BitNative.Cli.dll")
TRAINER=(dotnet "$BIN/BitNative.Trainer/$CONFIG_DIR/BitNative.Trainer.dll")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 BITNATIVE_CACHE_DIR="${TMPDIR:-/tmp}/bitnative-full-disk-cache"

not_run() { echo "full-disk test NOT RUN: $*" >&2; exit 77; }

work="$(mktemp -d)"
full="$work/full"
loop=""
mkdir -p "$full"
cleanup() {
  umount "$full" 2>/dev/null || true
  if [[ -n "$loop" ]]; then losetup -d "$loop" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

[[ "$(id -u)" == 0 ]] || not_run "mounting a small file system needs root (id -u = $(id -u))"
if mount -t tmpfs -o size=4m bitnative-full-disk "$full" 2>/dev/null; then
  method="4 MiB tmpfs"
elif command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null; then
  truncate -s 6M "$work/disk.img"
  mkfs.ext4 -q -F -m 0 "$work/disk.img"
  loop="$(losetup --find --show "$work/disk.img" 2>/dev/null)" || not_run "neither a tmpfs nor a loop device can be set up here"
  mount "$loop" "$full" 2>/dev/null || not_run "neither a tmpfs nor a loop device can be mounted here"
  method="6 MiB ext4 on $loop"
else
  not_run "a tmpfs cannot be mounted and mkfs.ext4 / losetup are missing"
fi
echo "full-disk test on a $method at $full"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# fill_leaving KB: fills the file system, then frees KB kilobytes (tmpfs and ext4 both give truncated blocks back).
fill_leaving() {
  rm -f "$full/filler"
  dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null || true
  truncate -s "-$1K" "$full/filler"
  sync
}

# expect_kept NAME FILE LISTING -- COMMAND...: COMMAND must exit 3 with one error line saying the disk is full, FILE must
# keep its bytes, and the folder of FILE must hold exactly LISTING (space-separated names) afterwards.
expect_kept() {
  local name="$1" file="$2" listing="$3"
  shift 4
  local before after rc=0
  before="$(sha256sum "$file" | cut -d' ' -f1)"
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  after="$( (sha256sum "$file" 2>/dev/null || echo deleted) | cut -d' ' -f1)"
  local errors
  errors="$(grep -c '^error: ' "$work/err" || true)"
  if [[ "$rc" != 3 ]]; then fail "$name: exit code $rc, expected 3: $(cat "$work/err")"; fi
  if [[ "$errors" != 1 ]] || ! grep -q 'no space left on device' "$work/err"; then
    fail "$name: expected one 'error: ... no space left on device' line, got: $(cat "$work/err")"
  fi
  if grep -q '   at ' "$work/err"; then fail "$name: a stack trace was printed"; fi
  if [[ "$before" != "$after" ]]; then fail "$name: $file was changed"; fi
  local found
  found="$(cd "$(dirname "$file")" && ls -A | sort | tr '\n' ' ' | sed 's/ $//')"
  listing="$(tr ' ' '\n' <<<"$listing" | sort | tr '\n' ' ' | sed 's/ $//')"
  if [[ "$found" != "$listing" ]]; then fail "$name: the folder holds '$found', expected '$listing'"; fi
  echo "ok   $name: exit 3, $(grep '^error: ' "$work/err" | cut -c1-150)..."
}

# Inputs, made where there is room.
"${CLI[@]}" make-model --shape tiny --seed 1 -o "$work/tiny.gguf" 2>/dev/null
"${CLI[@]}" make-model --shape tiny --weights f16 --seed 1 -o "$work/tiny-f16.gguf" 2>/dev/null
for i in $(seq 1 60); do echo "The old fisherman sailed out of the harbour at dawn, and the boat came back full of fish by noon."; done > "$work/text.txt"
"${TRAINER[@]}" tokenizer --train "$work/text.txt" --vocab 320 --out "$work/tokenizer/tokenizer.json" >/dev/null
prompt="$(head -c 600 "$work/text.txt" | tr '\n' ' ')"
tiny_train=(--dim 128 --layers 1 --ff 128 --heads 2 --kv-heads 1 --context 16 --batch 1 --eval-every 1000 --checkpoint-every 2 --threads 1)

# Existing outputs that must survive.
echo "an existing model the user keeps" > "$full/model.gguf"
echo "existing logits" > "$full/logits.f32"
echo "an existing quantized model" > "$full/q.gguf"
"${TRAINER[@]}" train --train "$work/text.txt" --test "$work/text.txt" --tokenizer "$work/tokenizer/tokenizer.json" \
  --run "$full/run" --steps 4 --stop-after 2 "${tiny_train[@]}" >/dev/null
"${TRAINER[@]}" export --checkpoint "$full/run/checkpoint.bin" --tokenizer "$work/tokenizer/tokenizer.json" --out "$full/export.gguf" \
  --weights f16 >/dev/null

outputs="export.gguf filler logits.f32 model.gguf q.gguf run"
fill_leaving 64
expect_kept "make-model onto a full disk" "$full/model.gguf" "$outputs" -- \
  "${CLI[@]}" make-model --shape tiny --seed 2 -o "$full/model.gguf"
expect_kept "score --save-logits onto a full disk" "$full/logits.f32" "$outputs" -- \
  "${CLI[@]}" score -m "$work/tiny.gguf" -p "$prompt" --save-logits "$full/logits.f32" -t 1
rm -f "$full/q.gguf.partial" "$full/q.gguf.partial.progress"
fill_leaving 64
expect_kept "quantize onto a full disk" "$full/q.gguf" "$outputs q.gguf.partial q.gguf.partial.progress" -- \
  "${CLI[@]}" quantize "$work/tiny-f16.gguf" "$full/q.gguf" --type i2_s -t 1
rm -f "$full/q.gguf.partial" "$full/q.gguf.partial.progress"
fill_leaving 64
expect_kept "trainer checkpoint onto a full disk" "$full/run/checkpoint.bin" "checkpoint.bin log.csv" -- \
  "${TRAINER[@]}" train --train "$work/text.txt" --test "$work/text.txt" --tokenizer "$work/tokenizer/tokenizer.json" \
  --run "$full/run" --resume --steps 4 "${tiny_train[@]}"
fill_leaving 8
expect_kept "trainer export onto a full disk" "$full/export.gguf" "$outputs" -- \
  "${TRAINER[@]}" export --checkpoint "$full/run/checkpoint.bin" --tokenizer "$work/tokenizer/tokenizer.json" --out "$full/export.gguf" --weights f16

# With room again, the same commands replace their outputs and leave nothing else behind.
rm -f "$full/filler"
"${CLI[@]}" make-model --shape tiny --seed 2 -o "$full/model.gguf" 2>/dev/null || fail "make-model with room failed"
"${CLI[@]}" score -m "$work/tiny.gguf" -p "The boat" --save-logits "$full/logits.f32" -t 1 >/dev/null 2>&1 || fail "score with room failed"
"${CLI[@]}" inspect "$full/model.gguf" >/dev/null || fail "the model written with room does not load"
found="$(ls -A "$full" | sort | tr '\n' ' ' | sed 's/ $//')"
[[ "$found" == "export.gguf logits.f32 model.gguf q.gguf run" ]] || fail "with room, the folder holds '$found'"
echo "ok   with room: make-model and score replace their outputs, no temporary file left"

if [[ "$failures" -gt 0 ]]; then
  echo "full-disk test: $failures failure(s)" >&2
  exit 1
fi
echo "full-disk test: passed (5 outputs on a full $method: exit 3, existing files kept, no temporary files)"
