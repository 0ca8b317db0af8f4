#!/usr/bin/env bash
# Install seawarden with its test and context extras, then run the whole test suite.
# Used by the README and by .ci/run; works on a fresh machine with ../shared beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e '.[test,context,postgis]'
export SEAWARDEN_SHARED_DATA="${SEAWARDEN_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
export SEAWARDEN_HOME="${SEAWARDEN_HOME:-$(mktemp -d)}"  # never touch the user's own store or registry
exec python -m pytest -q -p no:cacheprovider "$@"
