#!/usr/bin/env bash
# Produces the NuGet packages in artifacts/nuget/ (run through `./build.sh pack`, which first builds the native
# library for every RID this machine can build):
#   BitNative.Runtime.<rid>.<v>.nupkg  runtimes/<rid>/native/<lib>, stripped (one per RID)
#   BitNative.<v>.nupkg (+ .snupkg)    the managed library, AnyCPU; depends on every runtime package packed here
#   BitNative.Cli.<v>.nupkg            the `bitnative` dotnet tool
#
# RIDs: BITNATIVE_PACK_RIDS (default "linux-x64 linux-arm64 win-x64") must all be present in
# artifacts/native/<rid>/, or the pack fails. osx-arm64 is added when artifacts/native/osx-arm64/ holds a
# libbitnative.dylib built on macOS from this very commit (its BUILD_COMMIT file says which; the macOS job in
# .github/workflows/ci.yml writes it), and skipped with a warning otherwise, so a stale download never ships.
#
# Every pack is a clean one: the feed folder is emptied, the managed code is rebuilt under artifacts/pack/ (with
# ContinuousIntegrationBuild, so no checkout path ends up in the binaries) and restored into an empty package folder,
# so a runtime package re-packed under the same version can never be shadowed by a cached copy.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ARTIFACTS="$ROOT/artifacts"
FEED="$ARTIFACTS/nuget"
WORK="$ARTIFACTS/pack"
CONFIGURATION="${CONFIGURATION:-Release}"
read -r -a REQUIRED_RIDS <<<"${BITNATIVE_PACK_RIDS:-linux-x64 linux-arm64 win-x64}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'pack: error: %s\n' "$*" >&2; exit 1; }

lib_name() {
  case "$1" in
    win-*) echo bitnative.dll ;;
    osx-*) echo libbitnative.dylib ;;
    *) echo libbitnative.so ;;
  esac
}

# The binutils that understand each RID's object format (strip, readelf/objdump for the checks below).
binutils_prefix() {
  case "$1" in
    linux-x64) if command -v x86_64-linux-gnu-strip >/dev/null; then echo x86_64-linux-gnu-; else echo ""; fi ;;
    linux-arm64) echo aarch64-linux-gnu- ;;
    win-x64) echo x86_64-w64-mingw32- ;;
    *) echo "" ;;
  esac
}

# stage_native <rid>: copy artifacts/native/<rid>/<lib> to artifacts/pack/native/<rid>/, strip it and check it.
# Release builds carry no DWARF (no -g); if a build ever does, the debug info is kept beside the packages in
# artifacts/nuget-symbols/<rid>/<lib>.debug rather than shipped.
stage_native() {
  local rid="$1" lib; lib="$(lib_name "$rid")"
  local src="$ARTIFACTS/native/$rid/$lib" dst="$WORK/native/$rid/$lib"
  mkdir -p "$WORK/native/$rid"
  cp "$src" "$dst"
  if [[ "$rid" == osx-* ]]; then
    # Mach-O: stripped on the Mac that built it (strip -x, see ci.yml); GNU binutils cannot check it here.
    log "$rid: $lib prebuilt on macOS (commit $(cat "$ARTIFACTS/native/$rid/BUILD_COMMIT")), packed as is"
    return
  fi

  local p; p="$(binutils_prefix "$rid")"
  for tool in strip objcopy objdump readelf; do
    command -v "${p}${tool}" >/dev/null || die "$rid needs ${p}${tool} (binutils for that target) to strip and check $lib"
  done
  if "${p}objdump" -h "$dst" | grep -q '\.debug_'; then
    mkdir -p "$ARTIFACTS/nuget-symbols/$rid"
    "${p}objcopy" --only-keep-debug "$dst" "$ARTIFACTS/nuget-symbols/$rid/$lib.debug"
  fi
  # ELF: --strip-unneeded keeps .dynsym (the exports) and drops .symtab, as Debian does for shared libraries.
  # PE: --strip-unneeded would leave import-library symbols behind; --strip-all removes the whole COFF table
  # (exports live in the export directory, not in it).
  if [[ "$rid" == win-* ]]; then "${p}strip" --strip-all "$dst"; else "${p}strip" --strip-unneeded "$dst"; fi

  # Checks: right machine, no symbol table or debug info left, and the exports are exactly the bn_* C ABI.
  local headers exports
  headers="$("${p}objdump" -h "$dst")"
  if grep -qE '\.debug_|\.symtab' <<<"$headers"; then die "$rid: $dst still has debug or symbol sections after strip"; fi
  case "$rid" in
    win-*)
      local info; info="$("${p}objdump" -p "$dst")"
      grep -q 'file format pei-x86-64' <<<"$info" || die "$rid: $dst is not a PE32+ x86-64 DLL"
      # With no COFF symbols left, objdump -t prints an empty table (header lines only).
      if "${p}objdump" -t "$dst" 2>/dev/null | grep -q '^\['; then die "$rid: $dst still has a COFF symbol table"; fi
      exports="$(awk '/\[Ordinal\/Name Pointer\] Table/ {on=1; next} on && NF == 0 {on=0} on {print $NF}' <<<"$info")"
      local dlls; dlls="$(awk '/DLL Name:/ {print tolower($3)}' <<<"$info" | sort -u | tr '\n' ' ')"
      # KERNEL32 plus the C runtime that every Windows has (msvcrt, or ucrtbase / api-ms-win-crt-* for a UCRT toolchain).
      for dll in $dlls; do
        [[ "$dll" == kernel32.dll || "$dll" == msvcrt.dll || "$dll" == ucrtbase.dll || "$dll" == api-ms-win-crt-* ]] ||
          die "$rid: $lib imports $dll, which a stock Windows does not have (imports: $dlls)"
      done
      log "$rid: $lib $(stat -c %s "$dst") bytes, imports: $dlls"
      ;;
    *)
      local machine; machine="$("${p}readelf" -h "$dst" | awk -F: '/Machine:/ {gsub(/^ +/, "", $2); print $2}')"
      case "$rid:$machine" in
        linux-x64:*X86-64*|linux-arm64:AArch64) ;;
        *) die "$rid: $dst is built for '$machine'" ;;
      esac
      exports="$("${p}readelf" --dyn-syms -W "$dst" | awk '$5 == "GLOBAL" && $7 != "UND" {print $8}')"
      local glibc; glibc="$("${p}objdump" -T "$dst" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
      log "$rid: $lib $(stat -c %s "$dst") bytes, $machine, needs ${glibc:-no versioned glibc symbols}"
      ;;
  esac
  grep -qx bn_abi_version <<<"$exports" || die "$rid: $lib does not export bn_abi_version"
  local foreign; foreign="$(grep -v '^bn_' <<<"$exports" || true)"
  [[ -z "$foreign" ]] || die "$rid: $lib exports symbols outside the bn_* ABI: $(tr '\n' ' ' <<<"$foreign")"
}

# --- which RIDs ---------------------------------------------------------------------------------------------
rids=()
for rid in "${REQUIRED_RIDS[@]}"; do
  [[ -f "$ARTIFACTS/native/$rid/$(lib_name "$rid")" ]] ||
    die "no native library for $rid in artifacts/native/$rid/ (./build.sh pack builds linux-x64 natively, linux-arm64 with gcc-aarch64-linux-gnu, win-x64 with gcc-mingw-w64-x86-64; set BITNATIVE_PACK_RIDS to pack fewer)"
  rids+=("$rid")
done
commit="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
osx="$ARTIFACTS/native/osx-arm64"
if [[ " ${rids[*]} " != *" osx-arm64 "* && -f "$osx/libbitnative.dylib" ]]; then
  if [[ -f "$osx/BUILD_COMMIT" && "$(cat "$osx/BUILD_COMMIT")" == "$commit" ]]; then
    rids+=(osx-arm64)
  else
    log "WARNING: skipping osx-arm64: $osx/libbitnative.dylib was not built from this commit ($commit; BUILD_COMMIT says '$(cat "$osx/BUILD_COMMIT" 2>/dev/null || echo nothing)')"
  fi
fi

# One source date for the whole pack, so two packs of one commit are byte-identical: NuGet uses it for the zip entry
# times, and binutils for the PE header time strip rewrites (it would write the current time otherwise). The
# commit's time when there is a commit; outside git, 1980-01-01 (the earliest time a zip entry can hold).
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
  SOURCE_DATE_EPOCH="$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 315532800)"
fi
export SOURCE_DATE_EPOCH

# --- stage and check native libraries -------------------------------------------------------------------
rm -rf "$FEED" "$WORK/native" "$WORK/packages" "$ARTIFACTS/nuget-symbols"
mkdir -p "$FEED"
for rid in "${rids[@]}"; do stage_native "$rid"; done

# --- pack ----------------------------------------------------------------------------------------------------
common=(
  -c "$CONFIGURATION" -o "$FEED" -nologo -v quiet
  -p:ArtifactsPath="$WORK/"              # pack builds never touch (or reuse) the developer's artifacts/bin, obj
  -p:ContinuousIntegrationBuild=true     # deterministic paths (/_/) in the assembly and PDB
  -p:RestorePackagesPath="$WORK/packages"  # empty package folder: nothing cached from an earlier pack
)
rid_list="${rids[*]}"

version="$(dotnet msbuild "$ROOT/src/BitNative/BitNative.csproj" -nologo -getProperty:PackageVersion)"
abi="$(dotnet msbuild "$ROOT/src/BitNative/BitNative.csproj" -nologo -getProperty:BitNativeAbiVersion)"
log "packing BitNative $version (native ABI $abi) for ${rids[*]}"

for rid in "${rids[@]}"; do
  dotnet pack "$ROOT/build/nuget/BitNative.Runtime.csproj" "${common[@]}" \
    -p:BitNativeRid="$rid" -p:BitNativeNativeFile="$WORK/native/$rid/$(lib_name "$rid")"
done
# The runtime packages now in the feed are what BitNative's pack-time dependency (see BitNative.csproj) restores.
for project in src/BitNative/BitNative.csproj src/BitNative.Cli/BitNative.Cli.csproj; do
  dotnet pack "$ROOT/$project" "${common[@]}" \
    -p:BitNativePackRuntimeRids="$rid_list" -p:RestoreAdditionalProjectSources="$FEED"
done

# For build/nuget/smoke-test.sh and CI: what this pack produced.
printf 'VERSION=%s\nABI_VERSION=%s\nRIDS="%s"\nCOMMIT=%s\n' "$version" "$abi" "${rids[*]}" "$commit" >"$WORK/packed.env"
log "packages in ${FEED#"$ROOT"/}:"
(cd "$FEED" && ls -l -- *.nupkg *.snupkg | awk '{printf "  %8d  %s\n", $5, $9}')
