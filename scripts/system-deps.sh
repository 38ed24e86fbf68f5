#!/usr/bin/env bash
# Debian packages the project needs beyond Python: Chromium (browser tests), poppler-utils
# (pdftoppm/pdftotext in certificate tests), the WenQuanYi Zen Hei CJK font (embedded in PDFs); npm (axe-core for
# the browser tests' accessibility checks) and pg_dump/pg_restore (backup tests) when the machine has none.
set -euo pipefail
pkgs=(chromium poppler-utils fonts-wqy-zenhei)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v npm >/dev/null || missing+=(npm)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
