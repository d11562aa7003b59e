#!/usr/bin/env bash
# The two commands a newcomer needs (see README.md):
#   ./course.sh main   set everything up, then run the main job
#   ./course.sh test   set everything up, then run every test (notebooks + tests/)
# `./course.sh setup` only prepares the environment.
set -euo pipefail
cd "$(dirname "$0")"

VENV=${FASTCOURSE_VENV:-.venv}
PY=${PYTHON:-python3}
# The torch pair this project is developed and tested with (any pair in pyproject's range works).
TORCH_PINS=${FASTCOURSE_TORCH:-"torch==2.14.1 torchvision==0.29.1"}

setup() {
  local want stamp="$VENV/.fastcourse-installed"
  want=$(sha256sum pyproject.toml | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
     "$VENV/bin/python" -c "import torch, torchvision, nbdev, fastcourse" 2>/dev/null; then
    return 0  # complete venv for this pyproject.toml: reuse it
  fi
  echo "setting up $VENV (first time: a few minutes)" >&2
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -c "import torch, torchvision" 2>/dev/null || "$VENV/bin/python" -m pip install -q $TORCH_PINS
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  echo "$want" >"$stamp"
}

# Offline machines get the archives from a mirror folder beside the repo when there is one;
# elsewhere untar_data downloads from the public URLs.
if [ -z "${FASTCOURSE_MIRROR:-}" ] && [ -d ../shared/data ]; then
  FASTCOURSE_MIRROR=$(cd ../shared/data && pwd); export FASTCOURSE_MIRROR
fi

cmd=${1:-}; shift || true
case "$cmd" in
  setup) setup ;;
  main)  setup; exec "$VENV/bin/fastcourse-pets" "$@" ;;
  test)  setup
         # Two tests at a time (FASTCOURSE_TEST_WORKERS=0: one, in this process). The longest start first, split between the
         # two workers (tests/conftest.py), so both finish at about the same time; more workers would need more memory.
         workers=${FASTCOURSE_TEST_WORKERS:-$(( $(nproc) < 2 ? $(nproc) : 2 ))}
         exec "$VENV/bin/python" -m pytest -n "$workers" --dist load --maxschedchunk 1 "$@" ;;
  *) echo "usage: ./course.sh main | test | setup" >&2; exit 2 ;;
esac
