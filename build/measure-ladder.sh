#!/usr/bin/env bash
# The precision ladder of docs/QUALITY.md: the float baseline (the default model's shape, corpus and token budget, trained
# without QAT) quantized by `bitnative quantize` to every type, next to the QAT-trained ternary model (models/default.gguf),
# on the held-out Brown text; and LLM.int8()'s check on the float model with injected outlier features.
#   1. build/fetch-corpus.sh; the 4,096-token tokenizer of build/train-default-model.sh (made if missing)
#   2. trainer `train --full-precision` (resumable, ~40 min on 2 threads; skipped when .cache/float/run is complete)
#   3. trainer `export --weights f16`                  -> .cache/ladder/float-f16.gguf
#   4. per type: bitnative quantize (calibration: the first 200 kB of the training text), perplexity (-c 256, 2 threads);
#      then decode speed (1 thread, 64 tokens; the files alternate round by round, median of LADDER_ROUNDS = 7)
#                                                      -> .cache/ladder/ladder.md, ladder.csv
#   5. trainer `plot --ladder` + rsvg-convert          -> docs/images/precision-ladder.svg / .png
#   6. trainer `inject-outliers` (4 dims x 20, and x 50, x 100), then f16 / q8_0 / int8-outlier -> .cache/ladder/outliers.md
# Needs a Release build (./build.sh). Prints both tables. LADDER_DECODE=0 leaves the decode column out (no benchmarks
# while the machine is busy: speed is measured on a quiet one, perplexity does not depend on it).
source "$(dirname "${BASH_SOURCE[0]}")/measure-lib.sh"
RUN="$ROOT/.cache/float/run"
OUT="$ROOT/.cache/ladder"
mkdir -p "$OUT" "$ROOT/docs/images"
"$ROOT/build/fetch-corpus.sh" >/dev/null

[[ -f "$TOKENIZER" ]] || trainer tokenizer --train "$CORPUS/train.txt" --vocab 4096 --out "$TOKENIZER"
# The default model's run (build/train-default-model.sh) with --full-precision: same data, shape, schedule and seed.
trainer train --train "$CORPUS/train.txt" --test "$TEST" --tokenizer "$TOKENIZER" --run "$RUN" --resume --full-precision \
  --dim 256 --layers 4 --ff 768 --heads 4 --kv-heads 2 --context 256 \
  --steps 1000 --batch 8 --lr 3e-3 --warmup 50 --seed 1234 --eval-every 100 --checkpoint-every 100 --threads 2 | tail -1
FLOAT="$OUT/float-f16.gguf"
trainer export --checkpoint "$RUN/checkpoint.bin" --tokenizer "$TOKENIZER" --weights f16 --name "BitNative Brown float baseline" --out "$FLOAT"
CALIBRATION="$OUT/calibration.txt"
head -c 200000 "$CORPUS/train.txt" > "$CALIBRATION"

reference="$(engine_ppl "$FLOAT")"
csv="$OUT/ladder.csv"
table="$OUT/ladder.md"
rows="$OUT/rows.tsv"
: > "$rows"
echo "name,bits,ppl,kind" > "$csv"
# memory to run by the rule of thumb: parameters x bytes per parameter x 1.25 (bitnative inspect's)
rule() { bitnative inspect "$1" --json 2>/dev/null | sed -n 's/.*"RuleOfThumbBytes": \([0-9]*\).*/\1/p'; }
row() { # name, file, projections, bits, kind
  local p
  p="$(engine_ppl "$2")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$p" "$(stat -c %s "$2")" "$(rule "$2")" >> "$rows"
  echo "$3,$4,$p,$5" >> "$csv"
}
for type in f16 bf16 f8 q8_0 int8-outlier q4_k q4_0 q2_0 tq2_0 i2_s tq1_0 binary binary-onebit; do
  args=(--type "$type")
  case "$type" in
    int8-outlier|binary) args+=(--calibration "$CALIBRATION") ;;
    binary-onebit) args=(--type binary --onebit) ;;
  esac
  file="$OUT/float-$type.gguf"
  bits="$(bitnative quantize "$FLOAT" "$file" "${args[@]}" -t 2 2>&1 | sed -n 's/.* at \([0-9.]*\) bits per weight).*/\1/p')"
  [[ "$type" == i2_s ]] && i2s_bits="$bits"
  row "float baseline, post-training" "$file" "$type" "$bits" ptq
done
# the QAT model's projections are I2_S of the same shapes: the same bits per weight
row "**BitNet b1.58, trained ternary (QAT)**: models/default.gguf" "$ROOT/models/default.gguf" "ternary QAT (i2_s)" "$i2s_bits" qat

# Decode speed: one thread, 64 tokens, one run per file per round, the files alternating round by round (a noisy
# neighbour hits them alike), the median of the rounds.
rounds="${LADDER_ROUNDS:-7}"
declare -A speeds
for ((round = 0; round < rounds; round++)); do
  while IFS=$'\t' read -r _ file _; do
    [[ "${LADDER_DECODE:-1}" == 0 ]] && break
    speeds[$file]+="$(bitnative bench -m "$file" -p 0 -n 64 -t 1 -r 1 < /dev/null 2>&1 | sed -n 's/.*decode  tg64: \([0-9.]*\).*/\1/p') "
  done < "$rows"
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.0f", v[int((NR + 1) / 2)] }'; }
{
  echo "| model | projections | bits / weight | PPL | vs F16 | file | memory to run (rule) | decode tok/s |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  while IFS=$'\t' read -r name file type bits p size memory; do
    printf '| %s | %s | %s | %s | %s | %.2f MB | %.2f MB | %s |\n' "$name" "$type" "$bits" "$p" \
      "$(awk -v p="$p" -v r="$reference" 'BEGIN { printf "%+.2f %%", (p / r - 1) * 100 }')" \
      "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')" "$(awk -v s="$memory" 'BEGIN { print s / 1e6 }')" \
      "$(echo "${speeds[$file]:-}" | median)"
  done < "$rows"
} > "$table"
cat "$table"

trainer plot --ladder "$csv" --out "$ROOT/docs/images/precision-ladder.svg" \
  --title "Precision ladder (d = 256, 4 layers, Brown corpus): perplexity against bits per weight"
if command -v rsvg-convert >/dev/null; then
  rsvg-convert -w 960 "$ROOT/docs/images/precision-ladder.svg" -o "$ROOT/docs/images/precision-ladder.png"
fi

# LLM.int8(): the float model with its four largest projection-input dimensions scaled (the columns that read them
# divided by the same factor: the same float function), then plain absmax int8 against the outlier decomposition.
outliers="$OUT/outliers.md"
{
  echo "| outlier features | F16 PPL | Q8_0 (absmax int8) | vs F16 | int8-outlier (threshold 6.0) | vs F16 | outlier columns in fp16 (bits / weight) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} > "$outliers"
for scale in 20 50 100; do
  model="$OUT/outliers-x$scale.gguf"
  trainer inject-outliers --gguf "$FLOAT" --out "$model" --count 4 --scale "$scale" --text "$CALIBRATION" >/dev/null
  bitnative quantize "$model" "$OUT/outliers-x$scale-f16.gguf" --type f16 -t 2 2>/dev/null
  bitnative quantize "$model" "$OUT/outliers-x$scale-q8_0.gguf" --type q8_0 -t 2 2>/dev/null
  bits="$(bitnative quantize "$model" "$OUT/outliers-x$scale-int8.gguf" --type int8-outlier --threshold 6.0 --calibration "$CALIBRATION" -t 2 2>&1 \
    | sed -n 's/.* at \([0-9.]*\) bits per weight).*/\1/p')"
  f="$(engine_ppl "$OUT/outliers-x$scale-f16.gguf")" q="$(engine_ppl "$OUT/outliers-x$scale-q8_0.gguf")" o="$(engine_ppl "$OUT/outliers-x$scale-int8.gguf")"
  rel() { awk -v p="$1" -v r="$f" 'BEGIN { printf "%+.2f %%", (p / r - 1) * 100 }'; }
  echo "| 4 dimensions x $scale | $f | $q | $(rel "$q") | $o | $(rel "$o") | $bits |" >> "$outliers"
done
cat "$outliers"
