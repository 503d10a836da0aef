#!/usr/bin/env bash
# Package smoke test: proves the NuGet packages work as a user gets them.
#   build/nuget/smoke-test.sh            ./build.sh pack, then test the packages
#   build/nuget/smoke-test.sh --no-pack  test the packages already in artifacts/nuget (./build.sh test does this
#                                        right after packing)
# Outside the repository (a temporary folder: no Directory.Build.props, global.json or NuGet.config of ours), with
# a fresh feed holding only the packages just packed, an empty NuGet package folder (so a stale cached BitNative
# can never stand in for the new one) and a NuGet.config whose source mapping takes BitNative* from that feed
# only, it:
#   1. checks the package layout: runtimes/<rid>/native/<lib> in each runtime package, BitNative's dependencies;
#   2. installs the BitNative.Cli tool from the feed and writes a tiny synthetic model with it;
#   3. restores, builds and runs samples/HelloBitNative (portable), which must generate tokens with the native
#      library the runtime package delivered (byte-identical to the one in the package);
#   4. publishes the sample for linux-x64 and runs it again (flat layout: the library next to the app).
# Any failure stops the script with a line starting "smoke-test: FAILED". Keep the folder with KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FEED_SRC="$ROOT/artifacts/nuget"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\033[1m==> smoke-test: %s\033[0m\n' "$*" >&2; }
fail() { printf 'smoke-test: FAILED: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" != --no-pack ]]; then
  "$ROOT/build.sh" pack
fi
[[ -f "$ROOT/artifacts/pack/packed.env" ]] || fail "no packages: run ./build.sh pack first"
# shellcheck source=/dev/null
source "$ROOT/artifacts/pack/packed.env"   # VERSION, ABI_VERSION, RIDS, COMMIT
read -r -a rids <<<"$RIDS"

# shellcheck source=../host-rid.sh
source "$ROOT/build/host-rid.sh"
lib_name() { case "$1" in win-*) echo bitnative.dll ;; osx-*) echo libbitnative.dylib ;; *) echo libbitnative.so ;; esac; }
HOST_RID="$(host_rid)"
HOST_LIB="$(lib_name "$HOST_RID")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bitnative-smoke.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then
  step "keeping $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi
FEED="$WORK/feed"
mkdir -p "$FEED"
export NUGET_PACKAGES="$WORK/packages"
# The library must come from the package: no override, no library search path that could hide a missing file.
unset BITNATIVE_NATIVE_PATH LD_LIBRARY_PATH DYLD_LIBRARY_PATH BITNATIVE_MODEL

# --- 1. layout ---------------------------------------------------------------------------------------------
step "package layout (BitNative $VERSION, native ABI $ABI_VERSION, ${rids[*]})"
nupkg() { local f="$FEED_SRC/$1.$VERSION.nupkg"; [[ -f "$f" ]] || fail "missing package $1.$VERSION.nupkg in ${FEED_SRC#"$ROOT"/}"; echo "$f"; }
for id in BitNative BitNative.Cli; do cp "$(nupkg "$id")" "$FEED/"; done
nuspec="$(unzip -p "$FEED/BitNative.$VERSION.nupkg" BitNative.nuspec)"
for rid in "${rids[@]}"; do
  pkg="$(nupkg "BitNative.Runtime.$rid")"
  cp "$pkg" "$FEED/"
  entries="$(unzip -Z1 "$pkg")"
  grep -qx "runtimes/$rid/native/$(lib_name "$rid")" <<<"$entries" ||
    fail "BitNative.Runtime.$rid has no runtimes/$rid/native/$(lib_name "$rid"); it holds: $(tr '\n' ' ' <<<"$entries")"
  if grep -v -E "^(runtimes/$rid/native/[^/]+|README\.md|BitNative\.Runtime\.$rid\.nuspec|_rels/.*|package/.*|\[Content_Types\]\.xml)$" <<<"$entries"; then
    fail "BitNative.Runtime.$rid holds unexpected files (above)"
  fi
  grep -q "<dependency id=\"BitNative.Runtime.$rid\" version=\"$VERSION\"" <<<"$nuspec" ||
    fail "BitNative.$VERSION.nupkg does not depend on BitNative.Runtime.$rid $VERSION"
  grep -q "native ABI version $ABI_VERSION" <<<"$(unzip -p "$pkg" "BitNative.Runtime.$rid.nuspec")" ||
    fail "BitNative.Runtime.$rid's description does not name native ABI version $ABI_VERSION"
done
grep -q "native ABI version $ABI_VERSION" <<<"$nuspec" || fail "BitNative's description does not name native ABI version $ABI_VERSION"
for dep in Microsoft.ML.Tokenizers Microsoft.Extensions.AI.Abstractions; do
  grep -q "<dependency id=\"$dep\"" <<<"$nuspec" || fail "BitNative.$VERSION.nupkg lacks its dependency on $dep"
done
# Listings are read into a variable first: `unzip | grep -q` fails under pipefail when grep exits at its first match
# and unzip dies of the closed pipe (seen as a spurious "has no lib/net10.0/BitNative.dll").
managed_entries="$(unzip -Z1 "$FEED/BitNative.$VERSION.nupkg")"
grep -qx lib/net10.0/BitNative.dll <<<"$managed_entries" || fail "BitNative has no lib/net10.0/BitNative.dll"
if grep -q '^runtimes/' <<<"$managed_entries"; then fail "BitNative itself carries native files"; fi
[[ " ${rids[*]} " == *" $HOST_RID "* ]] || fail "no runtime package for this machine ($HOST_RID): packed ${rids[*]}"

# --- NuGet.config: BitNative* from the fresh feed only, everything else from this machine's sources. It sits in
# the folder above the sample, so restore, build and publish find it by themselves. -------------------------------
upstream=()
while read -r state url; do
  [[ "$state" == E* && -n "$url" ]] && upstream+=("$url")
done < <(cd "$WORK" && dotnet nuget list source --format short 2>/dev/null)
[[ ${#upstream[@]} -gt 0 ]] || fail "no enabled NuGet source is configured for the third-party dependencies"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration>'
  echo '  <packageSources>'
  echo '    <clear />'
  echo "    <add key=\"bitnative-smoke\" value=\"$FEED\" />"
  for i in "${!upstream[@]}"; do echo "    <add key=\"upstream$i\" value=\"${upstream[$i]}\" />"; done
  echo '  </packageSources>'
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="bitnative-smoke"><package pattern="BitNative" /><package pattern="BitNative.*" /></packageSource>'
  for i in "${!upstream[@]}"; do echo "    <packageSource key=\"upstream$i\"><package pattern=\"*\" /></packageSource>"; done
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} >"$WORK/NuGet.config"

# --- 2. the tool ---------------------------------------------------------------------------------------------------
step "dotnet tool install BitNative.Cli $VERSION; bitnative make-model --shape tiny"
(cd "$WORK" && dotnet tool install BitNative.Cli --version "$VERSION" --tool-path "$WORK/tools" \
  --configfile "$WORK/NuGet.config" >"$WORK/tool-install.log" 2>&1) || { cat "$WORK/tool-install.log" >&2; fail "installing the BitNative.Cli tool"; }
MODEL="$WORK/tiny.gguf"
"$WORK/tools/bitnative" make-model --shape tiny --output "$MODEL" || fail "bitnative make-model (the tool package)"

# --- 3. the sample, portable ---------------------------------------------------------------------------------------
step "restore, build and run samples/HelloBitNative against the packages"
APP="$WORK/HelloBitNative"
mkdir -p "$APP"
cp "$ROOT/samples/HelloBitNative/HelloBitNative.csproj" "$ROOT/samples/HelloBitNative/"*.cs "$APP/"
dotnet restore "$APP" --configfile "$WORK/NuGet.config" -p:BitNativeVersion="$VERSION" >"$WORK/restore.log" 2>&1 ||
  { cat "$WORK/restore.log" >&2; fail "restoring the sample from the fresh feed"; }
dotnet build "$APP" -c Release --no-restore -nologo -v quiet -p:BitNativeVersion="$VERSION" >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; fail "building the sample"; }

# The native library in the output must be the one from the runtime package, delivered through deps.json.
out="$APP/bin/Release/net10.0"
packaged="$NUGET_PACKAGES/bitnative.runtime.$HOST_RID/$VERSION/runtimes/$HOST_RID/native/$HOST_LIB"
[[ -f "$packaged" ]] || fail "restore did not extract BitNative.Runtime.$HOST_RID into the package folder"
[[ -f "$out/runtimes/$HOST_RID/native/$HOST_LIB" ]] || fail "the build did not copy runtimes/$HOST_RID/native/$HOST_LIB to the output"
cmp -s "$packaged" "$out/runtimes/$HOST_RID/native/$HOST_LIB" || fail "the output's $HOST_LIB differs from the runtime package's"
grep -q "\"runtimes/$HOST_RID/native/$HOST_LIB\"" "$out/HelloBitNative.deps.json" || fail "deps.json does not list runtimes/$HOST_RID/native/$HOST_LIB"

run_sample() {
  local label="$1"; shift
  local log="$WORK/run-$label.log"
  if ! "$@" "$MODEL" "Once upon a time" 8 >"$log" 2>&1; then
    cat "$log" >&2
    fail "the sample ($label) exited with an error"
  fi
  sed 's/^/    /' "$log" >&2
  grep -qE '^generated 8 tokens' "$log" || fail "the sample ($label) did not report 8 generated tokens"
}
run_sample portable dotnet "$out/HelloBitNative.dll"

# --- 4. the sample, published for this RID -------------------------------------------------------------------
step "dotnet publish -r $HOST_RID (framework-dependent) and run"
dotnet publish "$APP" -c Release -r "$HOST_RID" --self-contained false -nologo -v quiet \
  -p:BitNativeVersion="$VERSION" -o "$WORK/publish" >"$WORK/publish.log" 2>&1 ||
  { cat "$WORK/publish.log" >&2; fail "publishing the sample for $HOST_RID"; }
[[ -f "$WORK/publish/$HOST_LIB" ]] || fail "publish -r $HOST_RID did not put $HOST_LIB next to the app"
if [[ -d "$WORK/publish/runtimes" ]]; then fail "publish -r $HOST_RID copied other RIDs' libraries: $(cd "$WORK/publish" && find runtimes -type f | tr '\n' ' ')"; fi
run_sample published "$WORK/publish/HelloBitNative"

step "passed: BitNative $VERSION packages restore, load their native library and generate on $HOST_RID"
