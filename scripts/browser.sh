#!/usr/bin/env bash
# Make headless Chromium available to the browser tests: install Debian's chromium + chromium-driver if missing,
# then export SEAWARDEN_CHROMIUM. Meant to be *sourced* by scripts/test.sh (which runs with `set -euo pipefail`),
# so it never exits or fails its caller: on any problem it prints why, leaves SEAWARDEN_CHROMIUM unset, and the
# browser tests skip with that reason. Idempotent: a second run finds the binary and does nothing.
# Run directly (`bash scripts/browser.sh`) it only installs and reports.

_seawarden_browser() {
    local bin="${SEAWARDEN_CHROMIUM:-/usr/bin/chromium}"  # a caller's own Chromium is kept if it runs
    if [ ! -x "$bin" ] && [ "$bin" != /usr/bin/chromium ]; then
        echo "browser.sh: SEAWARDEN_CHROMIUM=$bin is not executable; using Debian's chromium" >&2
        bin=/usr/bin/chromium
    fi
    if [ ! -x "$bin" ]; then
        if ! command -v apt-get >/dev/null 2>&1; then
            echo "browser.sh: $bin missing and apt-get not available; browser tests will skip" >&2
            return 1
        fi
        local sudo=""
        if [ "$(id -u)" != 0 ]; then
            if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
                echo "browser.sh: $bin missing and not root (no passwordless sudo) to apt-get it; browser tests will skip" >&2
                return 1
            fi
        fi
        echo "browser.sh: installing chromium and chromium-driver from Debian" >&2
        # apt-get update only when the package is unknown to the local lists (a fresh machine or stale lists)
        if ! apt-cache show chromium >/dev/null 2>&1; then
            $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || \
                echo "browser.sh: apt-get update failed (trying to install anyway)" >&2
        fi
        if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                chromium chromium-driver fonts-dejavu-core >&2; then
            echo "browser.sh: apt-get install chromium chromium-driver failed; browser tests will skip" >&2
            return 1
        fi
        if [ ! -x "$bin" ]; then
            echo "browser.sh: chromium installed but $bin is missing; browser tests will skip" >&2
            return 1
        fi
    fi
    local version
    if ! version=$("$bin" --headless=new --no-sandbox --version 2>/dev/null); then
        echo "browser.sh: $bin does not start (--version failed); browser tests will skip" >&2
        return 1
    fi
    export SEAWARDEN_CHROMIUM="$bin"
    echo "browser.sh: SEAWARDEN_CHROMIUM=$bin ($version)" >&2
    return 0
}

_seawarden_browser || unset SEAWARDEN_CHROMIUM
unset -f _seawarden_browser
