#!/usr/bin/env bash
# Fuzzes the readers with libFuzzer through SharpFuzz (docs/RELIABILITY.md, "Sanitizers and fuzzing").
#   build/fuzz.sh TARGET|all [SECONDS] [libFuzzer flags...]
#     TARGET   gguf, safetensors, config, tokenizer, chat-template, http (`all`: each in turn, SECONDS each)
#     SECONDS  how long to fuzz each target (default 60)
# Installs nothing: it needs cc, libFuzzer (Debian: libfuzzer-14-dev; LIBFUZZER=path/to/libFuzzer.a overrides) and the
# SharpFuzz command-line tool, which `dotnet tool restore` takes from .config/dotnet-tools.json.
#
# What it does: builds fuzz/driver/dotnet-libfuzzer.c against libFuzzer, builds fuzz/BitNative.Fuzz, copies its output to
# artifacts/fuzz/app and instruments BitNative.dll and BitNative.Cli.dll there, then runs the driver over
#   artifacts/fuzz/corpus/TARGET   the working corpus (new inputs land here, kept across runs)
#   fuzz/corpus/TARGET             the committed seeds (read only)
# A crash, an escaped exception, a timeout (-timeout, 10 s) or an out-of-memory input is written to
# artifacts/fuzz/findings/TARGET/ and makes the script fail; the full libFuzzer output is in artifacts/fuzz/logs/TARGET.log.
# Replay an input without libFuzzer (the build output, not the instrumented copy, which runs only under the driver):
#   dotnet artifacts/bin/BitNative.Fuzz/release/BitNative.Fuzz.dll TARGET FILE...
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/artifacts/fuzz"
CONFIGURATION="${CONFIGURATION:-Release}"
LIBFUZZER="${LIBFUZZER:-/usr/lib/llvm-14/lib/libFuzzer.a}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

[[ $# -ge 1 ]] || { sed -n '3,6p' "$0" >&2; exit 2; }
TARGET="$1"; SECONDS_EACH="${2:-60}"; shift; [[ $# -gt 0 ]] && shift
[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || { echo "SECONDS must be a whole number, got '$SECONDS_EACH'" >&2; exit 2; }
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[[ -f "$LIBFUZZER" ]] || { echo "libFuzzer not found at $LIBFUZZER (Debian: apt-get install libfuzzer-14-dev)" >&2; exit 1; }
mkdir -p "$WORK"
DRIVER="$WORK/dotnet-libfuzzer"
if [[ ! -x "$DRIVER" || "$ROOT/fuzz/driver/dotnet-libfuzzer.c" -nt "$DRIVER" ]]; then
  log "fuzz driver (fuzz/driver/dotnet-libfuzzer.c + $LIBFUZZER)"
  "${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror "$ROOT/fuzz/driver/dotnet-libfuzzer.c" "$LIBFUZZER" -lstdc++ -lm -lpthread -o "$DRIVER"
fi

log "fuzz harnesses: build, then instrument with SharpFuzz"
dotnet build "$ROOT/fuzz/BitNative.Fuzz" -c "$CONFIGURATION" -nologo -v quiet >/dev/null
(cd "$ROOT" && dotnet tool restore >/dev/null)
BUILT="$ROOT/artifacts/bin/BitNative.Fuzz/$(echo "$CONFIGURATION" | tr "[:upper:]" "[:lower:]")"
APP="$WORK/app"
rm -rf "$APP"
mkdir -p "$APP"
# Everything but the CLI's bundled model, which no harness reads.
(cd "$BUILT" && tar --exclude=./models -cf - .) | tar -xf - -C "$APP"
# The GGUF type table reads block geometry from the native library (bn_wtype_get_info): the harness app needs it.
NATIVE="$APP/runtimes/linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')/native/libbitnative.so"
[[ -f "$NATIVE" ]] || { echo "$NATIVE is missing: build the native library first (./build.sh)" >&2; exit 1; }
for assembly in BitNative.dll BitNative.Cli.dll; do
  (cd "$ROOT" && dotnet tool run sharpfuzz "$APP/$assembly" >/dev/null)
done

mapfile -t known < <(dotnet "$BUILT/BitNative.Fuzz.dll" list | awk '{print $1}')
if [[ "$TARGET" == all ]]; then
  targets=("${known[@]}")
else
  printf '%s\n' "${known[@]}" | grep -qx -- "$TARGET" || { echo "unknown target '$TARGET'; targets: ${known[*]}" >&2; exit 2; }
  targets=("$TARGET")
fi

# Inputs larger than the seeds need are no better at finding bugs, and slower.
max_len() { case "$1" in gguf) echo 32768 ;; tokenizer) echo 16384 ;; *) echo 8192 ;; esac; }

failed=()
for t in "${targets[@]}"; do
  # The config and tokenizer harnesses write their input to a file per run: on tmpfs that is ten times faster than on
  # a disk file system (measured: 0.25 ms against 2.5 ms per input on ext4).
  corpus="$WORK/corpus/$t" findings="$WORK/findings/$t" scratch="$(mktemp -d -p "$( [[ -w /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")"
  mkdir -p "$corpus" "$findings" "$WORK/logs"
  flags=(-max_total_time="$SECONDS_EACH" -timeout=10 -max_len="$(max_len "$t")" -print_final_stats=1
         -artifact_prefix="$findings/")
  [[ -f "$ROOT/fuzz/dict/$t.dict" ]] && flags+=(-dict="$ROOT/fuzz/dict/$t.dict")
  log "fuzz $t for ${SECONDS_EACH} s"
  status=0
  # A 1 GiB managed heap: an input that makes a reader allocate without bound fails as OutOfMemoryException (a finding)
  # instead of taking the machine's memory.
  TMPDIR="$scratch" DOTNET_GCHeapHardLimit=0x40000000 \
    "$DRIVER" "${flags[@]}" "$@" "$corpus" "$ROOT/fuzz/corpus/$t" -- dotnet "$APP/BitNative.Fuzz.dll" "$t" \
    >"$WORK/logs/$t.log" 2>&1 || status=$?
  rm -rf "$scratch"
  last="$(grep -E '^#[0-9]+' "$WORK/logs/$t.log" | tail -1 || true)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/logs/$t.log")"
  edges="$(sed -n 's/^dotnet-libfuzzer: .NET edges reached: //p' "$WORK/logs/$t.log")"
  echo "$t: ${runs:-?} inputs in ${SECONDS_EACH} s; last status: ${last:-none}; .NET edges: ${edges:-?}"
  if [[ $status -ne 0 ]]; then
    echo "$t: FAILED (libFuzzer exit $status); the input is in $findings/, the log's end follows:" >&2
    tail -n 40 "$WORK/logs/$t.log" >&2
    failed+=("$t")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing found problems in: ${failed[*]} (see docs/RELIABILITY.md for how to reproduce and fix)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
