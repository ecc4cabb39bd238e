#!/usr/bin/env bash
# Idempotent setup on a fresh Debian 12 machine: system packages (when missing) and a release build.
# Usage: deploy/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenmpi-dev openmpi-bin libopenblas-dev libzstd-dev zstd pkg-config
    libsnappy-dev zlib1g-dev libbrotli-dev liblz4-dev libpng-dev libjpeg62-turbo-dev
    iproute2 util-linux python3)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" != "--no-build" ]]; then
    echo "setup: building release"
    swift build -c release --product dalle-train
fi
