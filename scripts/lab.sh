#!/usr/bin/env bash
# Start JupyterLab on the lessons, the way students and `make lab` do.
# LAB_PORT picks the port (default 8888); LAB_DIR serves another folder (the browser tests
# serve a scratch copy of lessons/).
set -euo pipefail
cd "$(dirname "$0")/.."
course=$(pwd)
# Kernels inherit these: Keras runs on JAX, and JAX sees 4 CPU devices (module 05).
export KERAS_BACKEND=jax
export XLA_FLAGS=--xla_force_host_platform_device_count=4
args=(--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port="${LAB_PORT:-8888}"
      --ServerApp.root_dir="${LAB_DIR:-$course/lessons}")
[ "$(id -u)" = 0 ] && args+=(--allow-root)  # JupyterLab refuses to run as root without it
echo "Starting JupyterLab in lessons/: open the http://127.0.0.1:... URL printed below (Ctrl-C stops it)."
cd autograder  # nbgrader's formgrader reads the course's configuration from here
exec "$course/.venv/bin/jupyter" lab "${args[@]}" "$@"
