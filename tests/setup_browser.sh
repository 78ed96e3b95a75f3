#!/usr/bin/env bash
# Install Debian's chromium for the report's browser tests (tests/test_report_browser.py)
# when it is missing. Idempotent and quiet: a no-op when /usr/bin/chromium exists.
# Playwright drives this system browser; `playwright install` (a download) is never used.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup_browser.sh: chromium is missing; install Debian's chromium package (apt-get install chromium) as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
command -v chromium >/dev/null
