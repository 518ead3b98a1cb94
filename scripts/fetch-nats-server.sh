#!/usr/bin/env bash
# Fetches nats-server >= 2.12 from Debian unstable without touching the system's apt configuration
# (DESIGN.md §3): a private sources list + private state dir, `apt-get download`, `dpkg -x` of the
# binary into ~/.cache/nodeplane. Prints the binary's path. Honours NATS_SERVER_BIN if it is set.
set -euo pipefail
min_minor=12
ok() { # $1 = binary; true when it reports version >= 2.12
  local v; v=$("$1" --version 2>/dev/null | sed -n 's/.*v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p') || return 1
  set -- $v; [ "${1:-0}" -gt 2 ] || { [ "${1:-0}" -eq 2 ] && [ "${2:-0}" -ge $min_minor ]; }
}
if [ -n "${NATS_SERVER_BIN:-}" ]; then ok "$NATS_SERVER_BIN" && { echo "$NATS_SERVER_BIN"; exit 0; }
  echo "NATS_SERVER_BIN=$NATS_SERVER_BIN is not a nats-server >= 2.$min_minor" >&2; exit 1; fi
cache="${NODEPLANE_CACHE:-$HOME/.cache/nodeplane}"
bin="$cache/nats-server/usr/sbin/nats-server"
if [ -x "$bin" ] && ok "$bin"; then echo "$bin"; exit 0; fi
mkdir -p "$cache/apt/lists/partial" "$cache/apt/archives/partial" "$cache/deb"
uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
[ -n "$uri" ] || uri=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | head -n1 | awk '{print $2}')
[ -n "$uri" ] || uri="http://deb.debian.org/debian"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
printf 'deb [signed-by=%s] %s sid main\n' "$keyring" "$uri" > "$cache/apt/sid.list"
opts=(-o "Dir::Etc::SourceList=$cache/apt/sid.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache::Archives=$cache/apt/archives"
      -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o APT::Get::List-Cleanup=0)
apt-get "${opts[@]}" -qq update >&2
(cd "$cache/deb" && rm -f nats-server_*.deb && apt-get "${opts[@]}" -qq download nats-server >&2)
rm -rf "$cache/nats-server" && dpkg -x "$cache"/deb/nats-server_*.deb "$cache/nats-server"
ok "$bin" || { echo "fetched nats-server is older than 2.$min_minor" >&2; exit 1; }
echo "$bin"
