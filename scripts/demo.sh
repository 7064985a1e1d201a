#!/usr/bin/env bash
# The main job, on a fresh machine with Python 3.11 and pip: installs uv and the locked
# environment, then programs a pump and prints a day of deliveries, IOB and a bolus calculation.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
python3 -m uv sync --locked --quiet
python3 -m uv run t2pump demo "$@"
