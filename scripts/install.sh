#!/usr/bin/env bash
# Install everything the platform needs on a fresh Debian machine: system packages,
# torch (the local CPU build first), then the project with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
dpkg -s libcairo2 >/dev/null 2>&1 || apt_packages+=(libcairo2)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || apt_packages+=(fonts-dejavu-core)
command -v pg_ctlcluster >/dev/null 2>&1 || apt_packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
if [ ${#apt_packages[@]} -gt 0 ]; then
    echo "installing system packages: ${apt_packages[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

PIP="python3 -m pip install --quiet --disable-pip-version-check"
python3 -c "import torch" 2>/dev/null || $PIP torch==2.13.0
$PIP -e ".[test,peer]"
