#!/usr/bin/env bash
# Install the system packages the tests need when they are missing (Debian/Ubuntu, as root):
# chromium for the real-browser tests (Playwright drives Debian's Chromium), influxdb for the
# 1.x server the readings-source tests start on a free loopback port, the shell linter for
# docker/entrypoint.sh, nodejs and npm for the OpenID provider the sign-in tests start
# (tests/e2e/oidc), and postgresql for the warehouse tests (scripts/start-services.sh starts it).
# Not root: prints the one command to run and fails, so `make test` never half-runs.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these system packages: ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
