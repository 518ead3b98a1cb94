#!/usr/bin/env bash
# `make setup`: everything nodeplane needs on a fresh Debian/Ubuntu machine (DESIGN.md §8):
# Debian's postgresql, redis-server and victoria-metrics (observation's TSDB), npm packages from the lock file, nats-server >= 2.12.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
command -v dpkg >/dev/null 2>&1 || { echo "setup needs a Debian/Ubuntu machine (dpkg, apt-get)" >&2; exit 1; }
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian's packages"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
echo "installing npm packages (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error
echo "fetching nats-server >= 2.12"
bin=$(bash scripts/fetch-nats-server.sh)
echo "nats-server: $bin ($("$bin" --version))"
echo "setup done"
