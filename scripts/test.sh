#!/usr/bin/env bash
# Install seawarden with its test and context extras, then run the whole test suite.
# Used by the README and by .ci/run; works on a fresh machine with ../shared beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e '.[test,context,postgis]'
export SEAWARDEN_SHARED_DATA="${SEAWARDEN_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
export SEAWARDEN_HOME="${SEAWARDEN_HOME:-$(mktemp -d)}"  # never touch the user's own store or registry
# Services the tests need, installed from Debian packages and started on loopback; each script prints why and
# leaves its variable unset if it cannot (those tests then skip with that reason).
if [ -f scripts/postgres.sh ]; then source scripts/postgres.sh; fi   # SEAWARDEN_TEST_PG_DSN
if [ -f scripts/browser.sh ]; then source scripts/browser.sh; fi     # SEAWARDEN_CHROMIUM
exec python -m pytest -q -p no:cacheprovider "$@"
