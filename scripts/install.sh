#!/usr/bin/env bash
# Installs what the stack needs, idempotently: Debian packages (engines, broker),
# a venv with the pinned Python dependencies, the Horizon plugin wiring and the
# collected, compressed static files. `install.sh --test` adds what tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-$ROOT/.venv}
WITH_TESTS=0
[ "${1:-}" = "--test" ] && WITH_TESTS=1

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

say() { printf '==> %s\n' "$*"; }

# -- Debian packages ------------------------------------------------------------
PACKAGES="python3 python3-venv python3-dev gcc mariadb-server mariadb-backup galera-4
  postgresql redis-server rabbitmq-server erlang-base rsync socat curl zstd gettext"
[ $WITH_TESTS = 1 ] && PACKAGES="$PACKAGES chromium"
missing=
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "Installing Debian packages:$missing"
  # Engines belong to instances, never to system services: keep apt from starting them.
  added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  [ $added_policy = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
fi
if [ -d /run/systemd/system ]; then
  for unit in mariadb redis-server rabbitmq-server postgresql epmd.socket epmd.service; do
    if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
      say "Disabling system service $unit (the stack runs its own processes)"
      $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
  done
fi

# -- Python venv with pinned dependencies --------------------------------------------
REQS=requirements.txt
[ $WITH_TESTS = 1 ] && REQS="requirements.txt test-requirements.txt"
stamp=$(cat $REQS setup.cfg pyproject.toml | sha1sum | cut -c1-12)
if [ ! -x "$VENV/bin/python" ]; then
  say "Creating the venv in $VENV"
  python3 -m venv "$VENV"
fi
if [ ! -e "$VENV/.stamp-$stamp" ]; then
  say "Installing Python dependencies ($REQS)"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "${REQS##* }"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
  rm -f "$VENV"/.stamp-*
  touch "$VENV/.stamp-$stamp"
fi

# -- Horizon: our enabled files and settings, as a Horizon deployment wires a plugin -----
SITE=$("$VENV/bin/python" -c 'import openstack_dashboard, os; print(os.path.dirname(openstack_dashboard.__file__))')
# Ours are every _NNNN file (the Admin dashboard's default panel must sort after Horizon's).
find "$SITE/local/enabled" -maxdepth 1 -type l -lname '*/trove_dashboard/enabled/_*' -delete
for f in trove_dashboard/enabled/_[0-9]*.py; do ln -sf "$ROOT/$f" "$SITE/local/enabled/"; done
echo 'from trove_dashboard.local_settings import *  # noqa: F401,F403' > "$SITE/local/local_settings.py"

# -- Translations: each catalogue compiled when it changed ------------------------------------
for po in locale/*/LC_MESSAGES/*.po; do
  [ -e "$po" ] || continue
  mo=${po%.po}.mo
  if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
    msgfmt --check -o "$mo.tmp" "$po" && mv "$mo.tmp" "$mo"
  fi
done

# -- Static files, collected and compressed once per change of Horizon or our plugin ----------
static_stamp=$( (cat requirements.txt; find trove_dashboard static -type f \( -name '*.html' -o -name '*.js' -o -name '*.scss' -o -name '*.css' -o -path '*/enabled/*' \) -print0 | sort -z | xargs -0 cat) | sha1sum | cut -c1-12)
if [ ! -e "$ROOT/.static/.stamp-$static_stamp" ]; then
  say "Collecting and compressing Horizon's static files"
  rm -rf "$ROOT/.static"
  "$VENV/bin/python" manage.py collectstatic --noinput -v 0
  "$VENV/bin/python" manage.py compress --force -v 0
  touch "$ROOT/.static/.stamp-$static_stamp"
fi
say "Installed."
