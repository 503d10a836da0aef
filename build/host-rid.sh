# The .NET runtime identifier of this machine (linux-x64, linux-arm64, osx-arm64), for the build and the package
# smoke test; sourced, not run. Fails with a message on any other host.
host_rid() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo linux-x64 ;;
    Linux-aarch64) echo linux-arm64 ;;
    Darwin-arm64) echo osx-arm64 ;;
    *) echo "unsupported host $(uname -s)-$(uname -m)" >&2; return 1 ;;
  esac
}
