#!/usr/bin/env bash
# build/container-smoke.sh: build deploy/Dockerfile, unchanged, from a clean copy of HEAD (git archive), run the image
# with a model mounted read-only, and check that it serves: /health (503 while loading, then 200), /v1/models, one
# chat completion plain and one streamed, the process's uid (1654), and a second run with a read-only root filesystem.
#
# Base images: the Dockerfile's own mcr.microsoft.com/dotnet/sdk:10.0 and aspnet:10.0 when they are present locally
# or can be pulled. When they cannot (no container registry is reachable from the machines this project is built on),
# the script builds LOCAL STAND-INS and tags them with exactly those names, then builds with --pull=never:
#   - a Debian bookworm rootfs made by debootstrap from the host's Debian mirror (with the libraries Microsoft's
#     runtime-deps image carries: ca-certificates, libicu, libssl3, zlib1g, libstdc++6, tzdata) and the host's apt
#     sources, so the Dockerfile's `apt-get install cmake make gcc libc6-dev` runs against the same mirror;
#   - aspnet stand-in: that rootfs + the host's dotnet muxer, hostfxr, Microsoft.NETCore.App and
#     Microsoft.AspNetCore.App (one 10.0 version), in /usr/share/dotnet with /usr/bin/dotnet linked to it, and what
#     Microsoft's image defines: user and group `app` (uid/gid 1654), APP_UID=1654, ASPNETCORE_HTTP_PORTS=8080,
#     DOTNET_RUNNING_IN_CONTAINER=true;
#   - sdk stand-in: the aspnet stand-in (Microsoft's sdk image is layered on its aspnet image) + the host's whole
#     dotnet root (SDK 10.0), the host's extra CA certificates (/usr/local/share/ca-certificates: the egress here
#     re-signs TLS) and NuGet.Config, and NUGET_CERT_REVOCATION_MODE if the host sets it, so `dotnet publish` restores
#     from the same NuGet source as the host.
# Stand-ins differ from Microsoft's images: the real 10.0 tags are Ubuntu 24.04 (noble), not Debian (Debian images
# are not shipped for .NET 10), and the real sdk image carries more tools (git, curl, ...). The Dockerfile needs only
# apt-get, cmake/gcc from apt, dotnet and $APP_UID, which both provide. Stand-ins are labelled
# org.bitnative.standin=true and the script says so loudly whenever it uses them.
#
# Podman on these VMs (podman 4.3, Debian 12): crun refuses the cgroup layout ("cgroups in hybrid mode not
# supported": cgroup v1 with hugetlb left on the cgroup2 mount) and the sandbox lacks CAP_SYS_RESOURCE, so podman's
# default ulimits (nofile/nproc above the hard limits) fail with "setrlimit ... Operation not permitted". When the
# probe container fails, the script uses a containers.conf of its own ($WORK/containers.conf via CONTAINERS_CONF:
# runtime runc, ulimits within the hard limits); nothing under /etc is changed. runc must be installed for that
# (apt-get install runc).
#
# Usage (root: debootstrap and rootful podman):  build/container-smoke.sh
# Environment: ENGINE=podman|docker  WORK=/tmp/container  PORT=18080  IMAGE=localhost/bitnative:smoke
#              STANDINS=auto|always|never  MIRROR=<debian mirror, default: the host's>  KEEP_IMAGE=1 (default)
set -euo pipefail

ENGINE=${ENGINE:-podman}
WORK=${WORK:-/tmp/container}
PORT=${PORT:-18080}
IMAGE=${IMAGE:-localhost/bitnative:smoke}
STANDINS=${STANDINS:-auto}
KEEP_IMAGE=${KEEP_IMAGE:-1}
SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
BASE_IMAGE=localhost/bitnative-standin/base:bookworm
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
REV=$(git -C "$REPO" rev-parse HEAD)
NAME=bitnative-smoke-$$
START=$(date +%s)

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }
E() { "$ENGINE" "$@"; }
mkdir -p "$WORK/logs"

cleanup() {
  for c in "$NAME" "$NAME-ro"; do E rm -f "$c" >/dev/null 2>&1 || true; done
  if [ "$KEEP_IMAGE" != 1 ]; then E rmi -f "$IMAGE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

image_exists() { E image inspect "$1" >/dev/null 2>&1; }
is_standin() { [ "$(E image inspect --format '{{ index .Config.Labels "org.bitnative.standin" }}' "$1" 2>/dev/null)" = true ]; }

# --- podman on this host: can it start a container? If not, a containers.conf of our own (runc, ulimits) ----------
engine_fixups() {
  local probe=$1
  [ "$ENGINE" = podman ] || return 0
  if E run --rm --pull=never "$probe" true >/dev/null 2>"$WORK/logs/probe.err"; then return 0; fi
  say "podman cannot start a container with its defaults: $(tail -1 "$WORK/logs/probe.err")"
  command -v runc >/dev/null || fail "runc is needed as the OCI runtime here (apt-get install runc)"
  local nofile nproc
  nofile=$(ulimit -Hn)
  for nproc in $(ulimit -Hu) 65536 32768 16384 4096; do
    cat > "$WORK/containers.conf" <<EOF
# written by build/container-smoke.sh: crun rejects this host's hybrid cgroup layout; the sandbox lacks
# CAP_SYS_RESOURCE, so rlimits must stay within the hard limits podman's processes have.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
EOF
    export CONTAINERS_CONF=$WORK/containers.conf
    if E run --rm --pull=never "$probe" true >/dev/null 2>"$WORK/logs/probe.err"; then
      say "using CONTAINERS_CONF=$WORK/containers.conf (runtime runc, nofile=$nofile, nproc=$nproc)"; return 0
    fi
  done
  fail "no container starts here even with runc and lowered ulimits: $(tail -1 "$WORK/logs/probe.err")"
}

# --- base images: the real ones, or stand-ins -----------------------------------------------------------------------
real_bases() {
  local img ok=0
  for img in "$SDK_IMAGE" "$ASPNET_IMAGE"; do
    if image_exists "$img" && ! is_standin "$img"; then continue; fi
    if [ "$STANDINS" = always ]; then return 1; fi
    say "pulling $img"
    timeout 300 "$ENGINE" pull "$img" >"$WORK/logs/pull.log" 2>&1 || { tail -3 "$WORK/logs/pull.log"; ok=1; }
  done
  return $ok
}

host_dotnet_root() { dirname "$(readlink -f "$(command -v dotnet)")"; }

build_standins() {
  command -v debootstrap >/dev/null || fail "debootstrap is needed for the stand-in base (apt-get install debootstrap)"
  command -v dotnet >/dev/null || fail "a host .NET 10 SDK is needed for the stand-ins"
  local root=$WORK/rootfs dn mirror fw sdkv d
  dn=$(host_dotnet_root)
  fw=$(ls "$dn/shared/Microsoft.AspNetCore.App" | grep '^10\.0\.' | sort -V | tail -1)
  [ -n "$fw" ] && [ -d "$dn/shared/Microsoft.NETCore.App/$fw" ] && [ -d "$dn/host/fxr/$fw" ] \
    || fail "no matching 10.0 Microsoft.NETCore.App / Microsoft.AspNetCore.App / hostfxr under $dn"
  sdkv=$(ls "$dn/sdk" | grep '^10\.0\.' | sort -V | tail -1)
  mirror=${MIRROR:-$(grep -h -o -m1 -E 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1 || true)}
  mirror=${mirror:-http://deb.debian.org/debian}

  if [ ! -f "$root/.bitnative-standin" ]; then
    say "stand-in rootfs: debootstrap bookworm from $mirror"
    rm -rf "$root"
    debootstrap --variant=minbase \
      --include=ca-certificates,libicu72,libssl3,zlib1g,libstdc++6,libgcc-s1,tzdata \
      bookworm "$root" "$mirror" >"$WORK/logs/debootstrap.log" 2>&1 || { tail -20 "$WORK/logs/debootstrap.log"; fail debootstrap; }
    # the host's apt sources (same mirror, same suites), so apt-get in the build stage sees what the host sees
    if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
      for d in /etc/apt/sources.list.d/*.sources; do
        grep -q -E '/debian(-security)?/?$' "$d" && cp "$d" "$root/etc/apt/sources.list.d/" && : > "$root/etc/apt/sources.list"
      done
    fi
    # no package cache, and none of this host's identity (podman supplies resolv.conf and hostname at run time)
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    : > "$root/etc/resolv.conf"; echo localhost > "$root/etc/hostname"
    touch "$root/.bitnative-standin"
  fi
  say "importing the rootfs as $BASE_IMAGE"
  tar --numeric-owner -C "$root" --exclude=./.bitnative-standin -c . \
    | E import --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null

  engine_fixups "$BASE_IMAGE"

  # aspnet stand-in: runtime only (muxer, hostfxr, the two shared frameworks)
  d=$WORK/standin-aspnet; rm -rf "$d"; mkdir -p "$d/dotnet/host/fxr" "$d/dotnet/shared/Microsoft.NETCore.App" \
    "$d/dotnet/shared/Microsoft.AspNetCore.App"
  cp -a "$dn/dotnet" "$dn/LICENSE.txt" "$dn/ThirdPartyNotices.txt" "$d/dotnet/"
  cp -a "$dn/host/fxr/$fw" "$d/dotnet/host/fxr/"
  cp -a "$dn/shared/Microsoft.NETCore.App/$fw" "$d/dotnet/shared/Microsoft.NETCore.App/"
  cp -a "$dn/shared/Microsoft.AspNetCore.App/$fw" "$d/dotnet/shared/Microsoft.AspNetCore.App/"
  cat > "$d/Containerfile" <<EOF
FROM $BASE_IMAGE
LABEL org.bitnative.standin=true \\
      org.bitnative.standin.for=$ASPNET_IMAGE \\
      org.bitnative.standin.note="LOCAL STAND-IN built by build/container-smoke.sh: Debian bookworm + the host's .NET $fw runtime"
ENV APP_UID=1654 \\
    ASPNETCORE_HTTP_PORTS=8080 \\
    DOTNET_RUNNING_IN_CONTAINER=true \\
    DOTNET_VERSION=$fw \\
    ASPNET_VERSION=$fw
RUN groupadd --gid=\$APP_UID app && useradd --no-log-init --uid=\$APP_UID --gid=app --create-home app
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && dotnet --list-runtimes
EOF
  say "building the aspnet stand-in (.NET runtime $fw) as $ASPNET_IMAGE"
  E build --pull=never -t localhost/bitnative-standin/aspnet:10.0 "$d" >"$WORK/logs/standin-aspnet.log" 2>&1 \
    || { tail -20 "$WORK/logs/standin-aspnet.log"; fail "aspnet stand-in"; }
  E tag localhost/bitnative-standin/aspnet:10.0 "$ASPNET_IMAGE"

  # sdk stand-in: the aspnet stand-in + the whole dotnet root + what NuGet restore needs on this network
  d=$WORK/standin-sdk; rm -rf "$d"; mkdir -p "$d/ca" "$d/nuget"
  cp -al "$dn" "$d/dotnet" 2>/dev/null || cp -a "$dn" "$d/dotnet"
  cp /usr/local/share/ca-certificates/*.crt "$d/ca/" 2>/dev/null || true
  if [ -f "$HOME/.nuget/NuGet/NuGet.Config" ]; then cp "$HOME/.nuget/NuGet/NuGet.Config" "$d/nuget/"; fi
  cat > "$d/Containerfile" <<EOF
FROM localhost/bitnative-standin/aspnet:10.0
LABEL org.bitnative.standin=true \\
      org.bitnative.standin.for=$SDK_IMAGE \\
      org.bitnative.standin.note="LOCAL STAND-IN built by build/container-smoke.sh: Debian bookworm + the host's .NET SDK $sdkv"
ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false \\
    DOTNET_NOLOGO=true \\
    DOTNET_SDK_VERSION=$sdkv \\
    DOTNET_USE_POLLING_FILE_WATCHER=true \\
    NUGET_XMLDOC_MODE=skip${NUGET_CERT_REVOCATION_MODE:+ \\
    NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE}
COPY dotnet /usr/share/dotnet
COPY ca/ /usr/local/share/ca-certificates/
COPY nuget/ /root/.nuget/NuGet/
RUN update-ca-certificates && dotnet --version
EOF
  say "building the sdk stand-in (.NET SDK $sdkv; $(ls "$d/ca" | wc -l) extra CA certificate(s); NuGet.Config: $(ls "$d/nuget" | wc -l)) as $SDK_IMAGE"
  E build --pull=never -t localhost/bitnative-standin/sdk:10.0 "$d" >"$WORK/logs/standin-sdk.log" 2>&1 \
    || { tail -20 "$WORK/logs/standin-sdk.log"; fail "sdk stand-in"; }
  E tag localhost/bitnative-standin/sdk:10.0 "$SDK_IMAGE"
  rm -rf "$WORK/standin-sdk/dotnet"
}

# -------------------------------------------------------------------------------------------------------------------
say "$ENGINE: $("$ENGINE" --version); repository $REPO at $REV"
USING_STANDINS=0
if [ "$STANDINS" != always ] && real_bases; then
  say "base images: Microsoft's own ($SDK_IMAGE, $ASPNET_IMAGE)"
  engine_fixups "$ASPNET_IMAGE"
else
  [ "$STANDINS" = never ] && fail "the base images cannot be pulled and STANDINS=never"
  cat <<EOF

###################################################################################################################
# USING LOCAL STAND-INS for $SDK_IMAGE and $ASPNET_IMAGE:
# the real images cannot be pulled here. The stand-ins are Debian bookworm + this host's .NET 10; Microsoft's are
# Ubuntu 24.04 + the same .NET 10. The Dockerfile is built unchanged, with --pull=never, against these tags.
###################################################################################################################
EOF
  USING_STANDINS=1
  build_standins
fi

say "build context: git archive $REV -> $WORK/src"
rm -rf "$WORK/src"; mkdir -p "$WORK/src"
git -C "$REPO" archive "$REV" | tar -x -C "$WORK/src"

say "$ENGINE build --pull=never -f deploy/Dockerfile -t $IMAGE $WORK/src"
PULL=--pull=never; [ "$ENGINE" = docker ] && PULL=
b0=$(date +%s)
if ! E build $PULL -f "$WORK/src/deploy/Dockerfile" -t "$IMAGE" "$WORK/src" >"$WORK/logs/build.log" 2>&1; then
  tail -40 "$WORK/logs/build.log"; fail "image build (log: $WORK/logs/build.log)"
fi
BUILD_SECONDS=$(( $(date +%s) - b0 ))
grep -E '^(STEP|\[[0-9]|.*Warn|.*warn|.*error)' "$WORK/logs/build.log" | tail -25 || true
SIZE=$(E image inspect --format '{{.Size}}' "$IMAGE")
ASPNET_SIZE=$(E image inspect --format '{{.Size}}' "$ASPNET_IMAGE")
say "built $IMAGE in ${BUILD_SECONDS}s: $((SIZE / 1000000)) MB ($SIZE bytes): base $ASPNET_IMAGE $((ASPNET_SIZE / 1000000)) MB + $(( (SIZE - ASPNET_SIZE) / 1000000 )) MB of /app"
E history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" >"$WORK/logs/history.txt"
cut -c1-150 "$WORK/logs/history.txt" | sed -n 1,12p

mkdir -p "$WORK/models"
cp "$REPO/models/default.gguf" "$WORK/models/model.gguf"

# wait_health URL: prints every status change of /health until 200 (or 120 s)
wait_health() {
  local url=$1 last= code t0
  t0=$(date +%s%N)
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    if [ "$code" != "$last" ]; then
      printf '  %6d ms  /health -> %s\n' $(( ($(date +%s%N) - t0) / 1000000 )) "$code"; last=$code
    fi
    [ "$code" = 200 ] && return 0
    [ $(( ($(date +%s%N) - t0) / 1000000000 )) -gt 120 ] && return 1
    sleep 0.02
  done
}

check_serving() {  # check_serving CONTAINER
  local c=$1 base=http://127.0.0.1:$PORT model
  say "/health until ready (000 = not listening yet)"
  wait_health "$base/health" || { E logs "$c" | tail -30; fail "not healthy after 120 s"; }
  echo "  body: $(curl -s "$base/health")"
  say "GET /v1/models"
  curl -sf "$base/v1/models" | tee "$WORK/logs/models.json"; echo
  model=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' "$WORK/logs/models.json" | head -1)
  say "POST /v1/chat/completions (model $model)"
  curl -sf "$base/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}],\"max_tokens\":24,\"temperature\":0}" \
    | tee "$WORK/logs/completion.json"; echo
  grep -q '"choices"' "$WORK/logs/completion.json" || fail "no choices in the completion"
  say "POST /v1/chat/completions, stream"
  curl -sfN "$base/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}],\"max_tokens\":8,\"temperature\":0,\"stream\":true}" \
    | tee "$WORK/logs/stream.txt"
  grep -q '^data: \[DONE\]' "$WORK/logs/stream.txt" || fail "the stream did not end with data: [DONE]"
  say "the server process (uid, gid)"
  E exec "$c" id
  E exec "$c" sh -c 'grep -E "^(Name|Uid|Gid)" /proc/1/status; ps_cmd=$(tr "\0" " " </proc/1/cmdline); echo "cmdline: $ps_cmd"'
  if E exec "$c" sh -c 'touch /app/x' 2>/dev/null; then fail "/app is writable by the server's user"; fi
  echo "  /app is not writable by it"
}

say "run 1: $ENGINE run -d -p $PORT:8080 -v $WORK/models:/models:ro $IMAGE"
E run -d --name "$NAME" -p "$PORT:8080" -v "$WORK/models:/models:ro" "$IMAGE" >/dev/null
check_serving "$NAME"
E logs "$NAME" 2>&1 | tail -8 | sed 's/^/  log: /'
E rm -f "$NAME" >/dev/null

say "run 2: read-only root filesystem: $ENGINE run -d --read-only --tmpfs /tmp -p $PORT:8080 -v $WORK/models:/models:ro $IMAGE"
E run -d --name "$NAME-ro" --read-only --tmpfs /tmp -p "$PORT:8080" -v "$WORK/models:/models:ro" "$IMAGE" >/dev/null
check_serving "$NAME-ro"
if E exec "$NAME-ro" sh -c 'touch /x' 2>/dev/null; then fail "the root filesystem is writable with --read-only"; fi
echo "  / is read-only; /tmp/bitnative (the kernel plan cache): $(E exec "$NAME-ro" ls /tmp/bitnative 2>&1 | tr '\n' ' ')"
E rm -f "$NAME-ro" >/dev/null

say "OK: deploy/Dockerfile at $REV built with $ENGINE and served$([ $USING_STANDINS = 1 ] && echo ' (ON LOCAL STAND-IN BASE IMAGES, see above)'); image $((SIZE / 1000000)) MB; $(( $(date +%s) - START ))s in all"
