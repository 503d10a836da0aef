#!/usr/bin/env bash
# Trains the BitNet a4.8 and v2 variants of the shipped model (docs/MODEL_CARD.md: d = 256, 4 layers, the Brown
# corpus, 1000 steps x 8 x 256 tokens, seed 1234), each on the same corpus, schedule and token budget as the default
# b1.58 model, in two stages as the papers train them:
#   a4.8: steps 0-800 are the default model's own run (8-bit activations: its checkpoint at step 800 is shared), then
#         steps 800-1000 with the a4.8 recipe in the forward pass: int4 Q/K/V and gate/up inputs, top-K 50 % / 80 % of
#         the o_proj / down_proj int8 inputs, keys and values through the 3-bit KV cache.
#   v2:   steps 0-800 with H-BitLinear (Hadamard before quantizing the o_proj / down_proj inputs) at 8 bits, then
#         steps 800-1000 with 4-bit inputs everywhere and the 3-bit KV cache.
# Exports .cache/train/models/{a48,v2}.gguf with the bitnative.* keys stating each recipe, so `bitnative run` runs
# them as trained; build/measure-a48-quality.sh measures them. Resumable (checkpoints every 100 steps); about 40
# minutes per 1000 steps on 2 threads.
source "$(dirname "${BASH_SOURCE[0]}")/measure-lib.sh"
W="$ROOT/.cache/train"

"$ROOT/build/fetch-corpus.sh"
trainer_from_copy "$W/bin-a48"
[[ -f "$TOKENIZER" ]] || trainer tokenizer --train "$CORPUS/train.txt" --vocab 4096 --out "$TOKENIZER"
COMMON=(--train "$CORPUS/train.txt" --test "$CORPUS/test.txt" --tokenizer "$TOKENIZER" --resume
  --dim 256 --layers 4 --ff 768 --heads 4 --kv-heads 2 --context 256
  --steps 1000 --batch 8 --lr 3e-3 --warmup 50 --seed 1234 --eval-every 100 --checkpoint-every 100 --threads 2)

# a4.8: the default model's run to step 800 (b158/), continued with the a4.8 recipe from a copy of that checkpoint
if [[ ! -f "$W/a48/checkpoint.bin" ]]; then
  trainer train "${COMMON[@]}" --run "$W/b158" --stop-after 800
  mkdir -p "$W/a48" && cp "$W/b158/checkpoint.bin" "$W/b158/log.csv" "$W/a48/"
fi
trainer train "${COMMON[@]}" --run "$W/a48" --stage2 a4.8 --stage2-from 800
trainer export --checkpoint "$W/a48/checkpoint.bin" --tokenizer "$TOKENIZER" --out "$W/models/a48.gguf" --name "BitNative Brown a4.8"

# v2: H-BitLinear from step 0
trainer train "${COMMON[@]}" --run "$W/v2" --recipe v2-a8 --stage2 v2 --stage2-from 800
trainer export --checkpoint "$W/v2/checkpoint.bin" --tokenizer "$TOKENIZER" --out "$W/models/v2.gguf" --name "BitNative Brown v2"

for m in a48 v2; do
  echo "held-out perplexity of $m.gguf (trainer, the file's recipe):"
  trainer eval --gguf "$W/models/$m.gguf" -f "$CORPUS/test.txt"
done
