#!/bin/bash
# One load-test run with the settings of /etc/spherecast/loadtest.env, written to its own report folder
# named after the UTC start time (like the reference's results/<HHMMSS>/).
set -euo pipefail
: "${TARGET_URL:?}" "${THREADS:?}" "${RAMPUP:?}" "${DURATION:?}" "${MODE:?}"
out="/var/lib/spherecast/loadtest/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec /usr/bin/node /opt/spherecast/dist/loadtest.js --host "$TARGET_URL" --threads "$THREADS" --rampup "$RAMPUP" \
  --duration "$DURATION" --mode "$MODE" --out "$out"
