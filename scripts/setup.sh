#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, idempotently.
#   scripts/setup.sh runtime   Python packages for the dashboard and jobs (+ Chromium for chart exports)
#   scripts/setup.sh dev       the above plus test/benchmark packages, Chromium and poppler for browser tests
# Python packages go into ./.venv (override with IRDASH_VENV). System packages come from Debian via
# apt-get when they are missing and we are root; otherwise we say what to install and go on.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-runtime}"
venv="${IRDASH_VENV:-.venv}"
py="${PYTHON:-python3}"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ "$mode" = dev ]; then
  command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
  command -v strace >/dev/null 2>&1 || need_apt+=(strace)   # the test that no export reaches the network
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing system packages ${need_apt[*]} (chart PNG/SVG/PDF exports and browser tests need them)." >&2
    echo "setup: install them with: sudo apt-get install ${need_apt[*]}" >&2
    [ "$mode" = dev ] && exit 1
  fi
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtual environment $venv"
  "$py" -m venv "$venv"
fi
req=requirements.txt
[ "$mode" = dev ] && req=requirements-dev.txt
stamp="$venv/.installed-$(basename "$req" .txt)"
# Reinstall only when a requirements file changed since the last install.
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ "$req" -nt "$stamp" ]; then
  echo "setup: installing Python packages from $req"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  touch "$stamp"
fi
