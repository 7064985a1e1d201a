#!/usr/bin/env bash
# The whole check, on a fresh machine with Python 3.11 and pip: installs uv, syncs the locked
# environment, then lint, format, types, import contract and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
uv() { python3 -m uv "$@"; }
uv sync --locked --quiet
uv run ruff check src tests benchmarks
uv run ruff format --check src tests benchmarks
uv run mypy
uv run lint-imports
uv run pytest -q "$@"
