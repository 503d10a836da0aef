#!/usr/bin/env bash
# Measures the rows of docs/QUALITY.md: held-out perplexity of the shipped model (models/default.gguf) on
# .cache/corpus/test.txt with 256-token windows, from the trainer (latent float weights; its own ternary forward
# pass on the file) and from the engine (`bitnative perplexity`) for the reference mode and every storage variant the
# engine reads. Variants are exported from the run's checkpoint into .cache/quality/. Prints a Markdown table.
# Needs: build/train-default-model.sh run before (checkpoint + tokenizer in .cache/train), and a Release build.
source "$(dirname "${BASH_SOURCE[0]}")/measure-lib.sh"
RUN="$ROOT/.cache/train/run"
OUT="$ROOT/.cache/quality"
MODEL="$ROOT/models/default.gguf"
mkdir -p "$OUT"
"$ROOT/build/fetch-corpus.sh" >/dev/null

for variant in "head q8_0 weights i2_s" "head q6_k weights i2_s" "head f16 weights tq2_0" "head f16 weights tq1_0"; do
  read -r _ head _ weights <<<"$variant"
  trainer export --checkpoint "$RUN/checkpoint.bin" --tokenizer "$TOKENIZER" --head "$head" --weights "$weights" \
    --out "$OUT/default-$head-$weights.gguf" >/dev/null
done

reference="$(engine_ppl "$MODEL")"
row() { # name, computed-by, ppl
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(awk -v p="$3" -v r="$reference" 'BEGIN { printf "%+.2f %%", (p / r - 1) * 100 }')"
}
echo "| configuration | computed by | PPL | vs reference |"
echo "|---|---|---:|---:|"
row "latent full-precision weights, float activations" "trainer \`eval --float\`" "$(trainer_ppl eval --checkpoint "$RUN/checkpoint.bin" --tokenizer "$TOKENIZER" --float)"
row "ternary (I2_S) weights, int8 activations, fp32 KV" "trainer \`eval --gguf\`" "$(trainer_ppl eval --gguf "$MODEL")"
row "**reference**: I2_S weights, int8 activations, F16 head, fp16 KV cache" "engine" "$reference"
row "TQ2_0 projections (scale as fp16 per block)" "engine" "$(engine_ppl "$OUT/default-f16-tq2_0.gguf")"
row "TQ1_0 projections (scale as fp16 per block)" "engine" "$(engine_ppl "$OUT/default-f16-tq1_0.gguf")"
row "Q8_0 embedding / head (run as Q8_0 x int8 activations)" "engine" "$(engine_ppl "$OUT/default-q8_0-i2_s.gguf")"
row "Q6_K embedding / head (decoded to F16 at load)" "engine" "$(engine_ppl "$OUT/default-q6_k-i2_s.gguf")"
row "int4 inputs of Q/K/V/gate/up, int8 of O/down (BitNet a4.8 split): \`--act int4\`" "engine" "$(engine_ppl "$MODEL" --act int4)"
row "8-bit output head at run time (F16 head quantized to Q8_0 at load): \`--head int8\`" "engine" "$(engine_ppl "$MODEL" --head int8)"
row "lookup-table kernels (TL1), int8: \`--kernel lut\` (lossless: bit-identical logits)" "engine" "$(engine_ppl "$MODEL" --kernel lut)"
