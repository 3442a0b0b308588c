#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of Berth from the Debian 12
# archive. Idempotent: packages already present are left alone, so rerunning is cheap.
# Needs root (or sudo) and nothing but the Debian archive.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format clang-tidy
  # libraries
  libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libssl-dev libprotobuf-dev protobuf-compiler
  libprotobuf-c-dev protobuf-c-compiler
  libmnl-dev libcap-dev libgoogle-glog-dev zlib1g-dev
  # tests and benchmarks
  googletest libgmock-dev libgtest-dev libbenchmark-dev
  curl openssl wrk crun runc procps util-linux iproute2 xfsprogs binutils file
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
    missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
