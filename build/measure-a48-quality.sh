#!/usr/bin/env bash
# Measures the BitNet a4.8 / v2 table of docs/QUALITY.md: held-out perplexity (.cache/corpus/test.txt, 256-token
# windows as llama-perplexity) of the shipped b1.58 model with each a4.8 / v2 piece applied after training, and of the
# models trained for them (the shipped models/default-a48.gguf and default-v2.gguf, which build/train-a48-models.sh
# makes as .cache/train/models/{a48,v2}.gguf; A48= / V2= point elsewhere) with their pieces on and off.
# Engine rows run `bitnative perplexity`; rows the engine cannot run (H-BitLinear on weights not trained in the
# rotated basis) and the trainer's own evaluation of each trained file run `BitNative.Trainer eval`.
# Prints a Markdown table; needs a Release build. About 13 minutes on 2 threads (22 engine runs, 7 trainer runs).
source "$(dirname "${BASH_SOURCE[0]}")/measure-lib.sh"
B158="$ROOT/models/default.gguf"
A48="${A48:-$ROOT/models/default-a48.gguf}"
V2="${V2:-$ROOT/models/default-v2.gguf}"
B158_HERE="$ROOT/.cache/train/models/b158.gguf" # the b1.58 run the a4.8 one branches from, finished at 8 bits here
THREADS="${THREADS:-2}"
PPL_THREADS="$THREADS"
PPL_LOG="$(mktemp)"
trap 'rm -f "$PPL_LOG"' EXIT
"$ROOT/build/fetch-corpus.sh" >/dev/null
active() { sed -n 's/^active parameters per token: \([0-9.]*\) %.*/\1 %/p' "$PPL_LOG"; } # of the last engine_ppl run
own() { # model, then options
  local model="$1"; shift
  trainer_ppl eval --gguf "$model" --threads "$THREADS" "$@"
}
REF=""
row() { # model label, configuration, computed by, ppl, [active]
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" \
    "$(awk -v p="$4" -v r="$REF" 'BEGIN { printf "%+.2f %%", (p / r - 1) * 100 }')" "${5:-}"
}
engine_row() { # model label, configuration, model file, then options: the engine's perplexity and active share
  local label="$1" what="$2" model="$3" p; shift 3
  p="$(engine_ppl "$model" "$@")"
  row "$label" "$what" "engine" "$p" "$(active)"
}
trainer_row() { # model label, configuration, model file, then options: the trainer's own evaluation
  local label="$1" what="$2" model="$3" p; shift 3
  p="$(own "$model" "$@")"
  row "$label" "$what" "trainer" "$p"
}

echo "| model | configuration | computed by | PPL | vs b1.58 reference | active params |"
echo "|---|---|---|---:|---:|---:|"
REF="$(engine_ppl "$B158")"
row "b1.58 (default.gguf)" "**reference**: int8 inputs, dense, f16 KV" "engine" "$REF" "$(active)"
engine_row "b1.58" "a4.8 piece: int4 Q/K/V and gate/up inputs (\`--act int4\`)" "$B158" --act int4
engine_row "b1.58" "a4.8 piece: top-K 50 % of the o_proj input (\`--sparsity 0.5,0\`)" "$B158" --sparsity 0.5,0
engine_row "b1.58" "a4.8 piece: top-K 80 % of the down_proj input (\`--sparsity 0,0.8\`)" "$B158" --sparsity 0,0.8
for kv in q8 q4 q3; do
  engine_row "b1.58" "KV cache $kv (\`--kv $kv\`)" "$B158" --kv "$kv"
done
engine_row "b1.58" "**a4.8 all together** (int4 inputs, top-K 50 / 80 %, 3-bit KV)" "$B158" --act int4 --sparsity 0.5,0.8 --kv q3
trainer_row "b1.58" "4-bit o_proj / down_proj inputs without Hadamard" "$B158" --out-bits 4
trainer_row "b1.58" "v2 piece at 8 bits: Hadamard-domain int8 o/down inputs, rotated back" "$B158" --hadamard
trainer_row "b1.58" "v2 piece: H-BitLinear, 4-bit o/down inputs in the Hadamard domain, rotated back" "$B158" --hadamard --out-bits 4
trainer_row "b1.58" "**v2 all together**: 4 bits everywhere (Hadamard o/down), 3-bit KV" "$B158" --hadamard --a4 --kv q3

if [[ -f "$B158_HERE" ]]; then
  engine_row "b1.58 retrained here" "int8, dense, f16 KV (a4.8's first 800 steps, then 200 more at 8 bits)" "$B158_HERE"
  trainer_row "b1.58 retrained here" "the same" "$B158_HERE"
fi
engine_row "a4.8-trained" "**as trained** (the file's recipe: int4 inputs, top-K 50 / 80 %, 3-bit KV)" "$A48"
trainer_row "a4.8-trained" "as trained" "$A48"
engine_row "a4.8-trained" "b1.58 numerics (int8, dense, f16 KV)" "$A48" --act int8 --sparsity off --kv f16
engine_row "a4.8-trained" "int4 inputs alone" "$A48" --sparsity off --kv f16
engine_row "a4.8-trained" "top-K alone" "$A48" --act int8 --kv f16
engine_row "a4.8-trained" "3-bit KV alone" "$A48" --act int8 --sparsity off
for kv in f16 q8 q4; do
  engine_row "a4.8-trained" "all pieces, KV cache $kv" "$A48" --kv "$kv"
done

engine_row "v2-trained" "**as trained** (Hadamard o/down, 4 bits everywhere, 3-bit KV)" "$V2"
trainer_row "v2-trained" "as trained" "$V2"
engine_row "v2-trained" "Hadamard, 8 bits everywhere, f16 KV (the first stage's numerics)" "$V2" --act int8 --kv f16
engine_row "v2-trained" "Hadamard, 4 bits everywhere, f16 KV" "$V2" --act int4 --kv f16
for kv in q8 q4; do
  engine_row "v2-trained" "4 bits everywhere, KV cache $kv" "$V2" --kv "$kv"
done
