#!/usr/bin/env bash
# Logits of every model family's synthetic file (bitnative make-model --family) against llama.cpp's on the same weights:
# llama-perplexity --kl-divergence-base on a 98-token context scores 48 positions; bitnative score runs the same token
# ids (BOS first when the model adds it) on the family's own file. Where llama.cpp reads the family's type (TQ2_0,
# Q2_0, Q1_0) it runs that file; where it does not (I2_S, PrismML's 128-weight Q2_0) it runs the f16 twin holding the
# same values. bitnet-b1.58 (2B-4T) is not an architecture llama.cpp reads: those families are checked against the
# managed reference forward in the tests instead. Prints a markdown table (min / mean cosine of centred logits, top-1,
# and whether BitNative's tokenizer gives llama.cpp's token ids for the context: Llama-3, Falcon3, Qwen2 regexes and
# SentencePiece).
#   build/compare-families-llama.sh [LLAMA_BIN_DIR]     (default ../shared/peers/llama-cpp/bin)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LLAMA="${1:-$ROOT/../../shared/peers/llama-cpp/bin}"
[[ -x "$LLAMA/llama-perplexity" ]] || LLAMA="/work/shared/peers/llama-cpp/bin"
[[ -x "$LLAMA/llama-perplexity" ]] || { echo "llama-perplexity not found (pass its folder)" >&2; exit 1; }
BN="$ROOT/bitnative"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# A repetitive English text: long enough for one 98-token context with any of the small vocabularies.
for i in $(seq 1 40); do echo "The little boat sailed out of the harbour at dawn, and the sea was calm while the birds flew over the waves."; done > "$WORK/text.txt"

head -c 600 "$WORK/text.txt" > "$WORK/head.txt"
echo "| family | file llama.cpp ran | positions | min cosine | mean cosine | top-1 | same token ids |"
echo "|---|---|---|---|---|---|---|"
row() { # family, llama file (own | f16), [family of the f16 twin]
  local family="$1" which="$2" twin="${3:-$1}"
  "$BN" make-model --family "$family" --seed 7 -o "$WORK/$family.gguf" 2>/dev/null
  local ref="$WORK/$family.gguf"
  if [[ "$which" == f16 ]]; then
    "$BN" make-model --family "$twin" --weights f16 --seed 7 -o "$WORK/$family-f16.gguf" 2>/dev/null
    ref="$WORK/$family-f16.gguf"
  fi
  "$LLAMA/llama-perplexity" -m "$ref" -f "$WORK/text.txt" -c 98 -b 98 --chunks 1 -t 2 --kl-divergence-base "$WORK/$family.kld" \
    >/dev/null 2>&1
  local ids; ids="$(node "$ROOT/build/peers/logit-agreement.mjs" "$WORK/$family.kld" --tokens "$WORK/$family.gguf")"
  "$BN" score -m "$WORK/$family.gguf" --ids "$ids" --save-logits "$WORK/$family.f32" -t 2 >/dev/null 2>&1
  local r; r="$(node "$ROOT/build/peers/logit-agreement.mjs" "$WORK/$family.kld" "$WORK/$family.f32")"
  local ours; ours="$("$BN" score -m "$WORK/$family.gguf" -p "$(cat "$WORK/head.txt")" --save-logits "$WORK/tok.f32" 2>/dev/null |
    tr ',' '\n' | head -98 | paste -sd,)"
  local same=no; [[ "$ours" == "$ids" ]] && same=yes
  node -e "const r = $r; console.log('| $family | ' + '$which'.replace('own', 'its own').replace('f16', 'F16 twin') + ' | ' +
    r.positions + ' | ' + r.minCosine.toFixed(4) + ' | ' + r.meanCosine.toFixed(4) + ' | ' + (100 * r.top1).toFixed(0) + ' % | $same |')"
}
row bitnet-large own
row bitnet-large-i2s f16
row falcon3 f16
# upstream llama.cpp does not know the pre-tokenizer name falcon_e (bitnet.cpp's fork maps it to the Llama-3 regex, as
# falcon3): the twin is written as falcon3, whose small file has the same tensors and vocabulary
row falcon-e f16 falcon3
row llama3-8b-1.58 f16
row bonsai-ternary own
row bonsai-ternary f16
row bonsai-ternary-g128 f16
row bonsai-binary own
row bonsai-binary f16
