#!/usr/bin/env bash
# Render docs/screenshots/first-run.png: what `make run` shows a newcomer, taken from the real
# program (`unitext --first-run`) in a real X window under Xvfb, with a fresh per-user
# configuration so the first-run hint is shown. Needs Debian's xvfb, xdotool and imagemagick
# (and libxcb-cursor0, which Qt's X11 plugin needs).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-docs/screenshots/first-run.png}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state" \
XDG_CACHE_HOME="$T/cache" OUT="$OUT" xvfb-run -a -s "-screen 0 1600x1000x24" bash -c '
  .venv/bin/unitext --first-run & pid=$!
  sleep 15
  wid=$(xdotool search --onlyvisible --name "UniText" | head -1)
  import -window "$wid" "$OUT"
  kill $pid'
echo "saved $OUT"
