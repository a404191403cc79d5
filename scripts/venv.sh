#!/usr/bin/env bash
# Create .venv from the pins, or reuse it when the pins have not changed.
# Usage: scripts/venv.sh runtime   (what the lessons need: environment.yml + the helper package)
#        scripts/venv.sh test      (the same, plus the test tools of tests/requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

digest() { cat "$@" | sha256sum | cut -d' ' -f1; }
runtime_pins=$(digest environment.yml)
test_pins=$(digest tests/requirements.txt)
# The helper package is installed as students get it (not editable), so it is
# reinstalled whenever its sources change.
package=$(digest pyproject.toml scalinglab/*.py)

if [ "$(cat .venv/.pins-runtime 2>/dev/null)" != "$runtime_pins" ]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "error: $PYTHON is $("$PYTHON" --version 2>&1); the course needs Python 3.11 or newer (set PYTHON=...)" >&2
        exit 1
    }
    echo "Creating .venv from the pins in environment.yml (a few minutes, once) ..."
    rm -rf .venv  # a fresh environment: no package left over from older pins
    "$PYTHON" -m venv .venv || { echo "error: '$PYTHON -m venv' failed; install your Python's venv module" >&2; exit 1; }
    .venv/bin/python -m pip install --quiet -r <("$PYTHON" scripts/pins.py environment.yml)
    echo "$runtime_pins" > .venv/.pins-runtime
fi

if [ "$(cat .venv/.package 2>/dev/null)" != "$package" ]; then
    .venv/bin/python -m pip install --quiet --no-deps --force-reinstall .
    rm -rf build scalinglab.egg-info
    echo "$package" > .venv/.package
fi

if [ "${1:-runtime}" = test ] && [ "$(cat .venv/.pins-test 2>/dev/null)" != "$test_pins" ]; then
    echo "Installing the test tools from tests/requirements.txt ..."
    .venv/bin/python -m pip install --quiet -r tests/requirements.txt
    echo "$test_pins" > .venv/.pins-test
fi
