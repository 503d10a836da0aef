# Sourced by the scripts that train and measure the shipped models (train-*-models.sh, measure-*.sh): the repository
# root, the Brown corpus and the default model's tokenizer where they all find them, the two tools they call and the
# one way they read a perplexity. Not run on its own.
#   source "$(dirname "${BASH_SOURCE[0]}")/measure-lib.sh"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="$ROOT/.cache/corpus" # build/fetch-corpus.sh: train.txt, test.txt (held out)
TEST="$CORPUS/test.txt"
TOKENIZER="$ROOT/.cache/train/tokenizer/tokenizer.json" # the default model's 4,096-token vocabulary
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
TRAINER_DLL="$ROOT/artifacts/bin/BitNative.Trainer/release/BitNative.Trainer.dll"
trainer() { dotnet "$TRAINER_DLL" "$@"; }
bitnative() { dotnet "$ROOT/artifacts/bin/BitNative.Cli/release/BitNative.Cli.dll" "$@"; }

# Builds the trainer and runs it from a copy in DIR from then on, so rebuilding the repository during a long run never
# swaps its binaries.
trainer_from_copy() { # DIR
  dotnet build "$ROOT/tools/BitNative.Trainer" -c Release -nologo -v quiet >/dev/null
  rm -rf "$1" && mkdir -p "$(dirname "$1")" && cp -r "$ROOT/artifacts/bin/BitNative.Trainer/release" "$1"
  TRAINER_DLL="$1/BitNative.Trainer.dll"
}

# The engine's held-out perplexity of MODEL with OPTIONS: 256-token windows of $TEST (as llama-perplexity) on
# $PPL_THREADS threads (default 2); its stderr goes to $PPL_LOG (default: dropped).
engine_ppl() { # MODEL [OPTIONS...]
  local model="$1"; shift
  bitnative perplexity -m "$model" -f "$TEST" -c 256 -t "${PPL_THREADS:-2}" "$@" 2>"${PPL_LOG:-/dev/null}" |
    sed -n 's/^Final estimate: PPL = \([0-9.]*\).*/\1/p'
}

# The trainer's own perplexity on $TEST: trainer_ppl eval --gguf FILE, or eval --checkpoint FILE --tokenizer FILE ...
trainer_ppl() { # TRAINER ARGUMENTS...
  trainer "$@" -f "$TEST" | sed -n 's/^PPL = \([0-9.]*\).*/\1/p'
}
