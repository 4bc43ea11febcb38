#!/bin/sh
# First step of the quick start: the Debian packages spherecast and its tests need (ffmpeg and ffprobe,
# chromium for the player tests, procps for pgrep), then the npm packages. It works as root without sudo
# (a fresh container) and as a user with sudo; it asks for nothing it does not need.
set -eu
cd "$(dirname "$0")/.."

need=""
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need="$need ffmpeg"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v pgrep >/dev/null 2>&1 || need="$need procps"

if [ -n "$need" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
  else
    echo "spherecast needs these Debian packages:$need" >&2
    echo "install them as root (apt-get install -y$need), then run this again" >&2
    exit 1
  fi
  echo "installing:$need"
  export DEBIAN_FRONTEND=noninteractive
  $as_root apt-get update -qq
  # shellcheck disable=SC2086
  $as_root apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

node -e 'const [major] = process.versions.node.split(".").map(Number); if (major < 20) { console.error(`spherecast needs Node.js >= 20 (this is ${process.version})`); process.exit(1); }'
npm ci --no-audit --no-fund
