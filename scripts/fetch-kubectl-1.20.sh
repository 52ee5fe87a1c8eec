#!/usr/bin/env bash
# Unpacks Debian's kubernetes-client (kubectl 1.20) into .cache/kubectl-1.20/ without installing it, so
# the simulator's kubectl tests also run against an old client (server-side Tables on every get).
# Idempotent: does nothing when the binary is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=.cache/kubectl-1.20
bin="$dest/usr/bin/kubectl"
if [ -x "$bin" ]; then
  echo "[fetch-kubectl-1.20] present: $bin"
  exit 0
fi

command -v apt-get >/dev/null && command -v dpkg >/dev/null || {
  echo "[fetch-kubectl-1.20] FATAL: apt-get and dpkg are needed to fetch Debian's kubernetes-client (kubectl 1.20)" >&2
  exit 1
}

mkdir -p .cache
work=$(mktemp -d .cache/kubectl-fetch.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get download kubernetes-client >/dev/null 2>&1); then
  echo "[fetch-kubectl-1.20] apt-get download failed; running apt-get update and retrying"
  apt-get update >/dev/null 2>&1 || true
  (cd "$work" && apt-get download kubernetes-client) || {
    echo "[fetch-kubectl-1.20] FATAL: cannot download Debian's kubernetes-client package (apt-get download kubernetes-client failed)" >&2
    exit 1
  }
fi
deb=$(ls "$work"/kubernetes-client_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "[fetch-kubectl-1.20] FATAL: no kubernetes-client .deb was downloaded" >&2; exit 1; }
rm -rf "$dest"
dpkg -x "$deb" "$dest"
[ -x "$bin" ] || { echo "[fetch-kubectl-1.20] FATAL: $deb holds no usr/bin/kubectl" >&2; exit 1; }
echo "[fetch-kubectl-1.20] unpacked $(basename "$deb") into $dest"
