#!/usr/bin/env bash
# Retrains the shipped model models/default.gguf from scratch, reproducibly (fixed seeds, fixed data):
#   1. build/fetch-corpus.sh                      Brown corpus -> .cache/corpus/{train,test}.txt
#   2. trainer `tokenizer`                        4096-token byte-level BPE on train.txt -> .cache/train/tokenizer/
#   3. trainer `train` (resumable)                QAT run -> .cache/train/run/{checkpoint.bin,log.csv}
#   4. trainer `export`                           -> models/default.gguf (I2_S, F16 tied embedding, tokenizer inside)
#   5. trainer `eval`                             held-out PPL: latent float weights, and the exported ternary file
#   6. trainer `plot` + rsvg-convert              loss curve -> docs/images/loss-curve.png
# Re-running after an interruption resumes training from the last checkpoint (every 100 steps).
# Uses 2 threads; about 35-45 minutes on a 2-core machine shared with other work.
source "$(dirname "${BASH_SOURCE[0]}")/measure-lib.sh"
WORK="$ROOT/.cache/train"
RUN="$WORK/run"

"$ROOT/build/fetch-corpus.sh"
trainer_from_copy "$WORK/bin"

[[ -f "$TOKENIZER" ]] || trainer tokenizer --train "$CORPUS/train.txt" --vocab 4096 --out "$TOKENIZER"

trainer train --train "$CORPUS/train.txt" --test "$CORPUS/test.txt" --tokenizer "$TOKENIZER" --run "$RUN" --resume \
  --dim 256 --layers 4 --ff 768 --heads 4 --kv-heads 2 --context 256 \
  --steps 1000 --batch 8 --lr 3e-3 --warmup 50 --seed 1234 --eval-every 100 --checkpoint-every 100 --threads 2

trainer export --checkpoint "$RUN/checkpoint.bin" --tokenizer "$TOKENIZER" --out "$ROOT/models/default.gguf"

echo "held-out perplexity (trainer, latent float weights):"
trainer eval --checkpoint "$RUN/checkpoint.bin" --tokenizer "$TOKENIZER" --float -f "$CORPUS/test.txt"
echo "held-out perplexity (trainer, the exported ternary file):"
trainer eval --gguf "$ROOT/models/default.gguf" -f "$CORPUS/test.txt"

if ! command -v rsvg-convert >/dev/null; then
  echo "installing librsvg2-bin for rsvg-convert (renders the loss curve)"
  apt-get update -qq && apt-get install -y -qq librsvg2-bin >/dev/null
fi
mkdir -p "$ROOT/docs/images"
trainer plot --log "$RUN/log.csv" --out "$WORK/loss-curve.svg"
rsvg-convert -w 960 "$WORK/loss-curve.svg" -o "$ROOT/docs/images/loss-curve.png"
echo "loss curve: docs/images/loss-curve.png"
