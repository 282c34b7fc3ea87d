#!/usr/bin/env bash
# End-to-end test of the classroom page (`zeromile serve`) in headless Chromium.
#
# Installs Debian's `chromium` from apt when missing and `playwright-core` from npm into a work
# directory, starts `zeromile serve` on the smoke scenario (port 0), and runs
# .ci/browser-test.mjs: load the page, run, move a lever and switch on an event, run again, wait
# for the charts and check that they changed, hover for values, follow the settings link, see a
# refusal next to its field. It stops only the server it started, by PID.
#
# Skips (exit 0, with a message) only where the install fails: not root and no chromium, no
# apt-get, chromium or node/npm not installable, or playwright-core not installable from npm.
# Usage: bash .ci/browser-test.sh
#   ZEROMILE_BIN=target/debug/zeromile   use this binary (default target/release/zeromile, built if stale)
#   BROWSER_TEST_SCENARIO=FILE           serve this scenario (default scenarios/smoke.toml)
#   BROWSER_TEST_SCREENSHOT=FILE         write a screenshot of the page after a run
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS
say() { echo "browser test [$((SECONDS - START)) s]: $*"; }
skip() {
    echo "browser test: SKIPPED: $*"
    exit 0
}
fail() {
    echo "browser test: FAILED: $*" >&2
    exit 1
}

apt_install() {
    [ "$(id -u)" = 0 ] || skip "needs root to install $* (not installed)"
    command -v apt-get >/dev/null || skip "no apt-get on this machine to install $*"
    say "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -q >/tmp/zeromile-browser-apt.log 2>&1 ||
        ! apt-get install -y -q "$@" >>/tmp/zeromile-browser-apt.log 2>&1; then
        tail -n 5 /tmp/zeromile-browser-apt.log
        skip "apt-get cannot install $* (log: /tmp/zeromile-browser-apt.log)"
    fi
}

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    apt_install chromium
    CHROMIUM=$(command -v chromium || true)
    [ -n "$CHROMIUM" ] || skip "chromium installed but not on PATH"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
fi

WORK=$(mktemp -d /tmp/zeromile-browser.XXXXXX)
SERVER=""
cleanup() {
    local rc=$?
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

# playwright-core only: it downloads no browser and drives the Debian chromium above.
say "installing playwright-core from npm"
cp .ci/browser-test.mjs "$WORK/"
if ! (cd "$WORK" && npm init -y >/dev/null 2>&1 && npm install --no-audit --no-fund --silent playwright-core@1 \
    >"$WORK/npm.log" 2>&1); then
    tail -n 5 "$WORK/npm.log"
    skip "npm cannot install playwright-core"
fi

BIN=${ZEROMILE_BIN:-$ROOT/target/release/zeromile}
if [ -z "${ZEROMILE_BIN:-}" ] &&
    { [ ! -x "$BIN" ] || [ -n "$(find src Cargo.toml Cargo.lock -newer "$BIN" 2>/dev/null | head -n 1)" ]; }; then
    cargo build --release --quiet --bin zeromile
fi
SCENARIO=${BROWSER_TEST_SCENARIO:-scenarios/smoke.toml}
"$BIN" serve "$SCENARIO" --port 0 2>"$WORK/serve.log" &
SERVER=$!
URL=""
for _ in $(seq 1 100); do
    URL=$(grep -o 'http://127.0.0.1:[0-9]*/' "$WORK/serve.log" || true)
    [ -n "$URL" ] && break
    kill -0 "$SERVER" 2>/dev/null || fail "zeromile serve stopped: $(cat "$WORK/serve.log")"
    sleep 0.2
done
[ -n "$URL" ] || fail "zeromile serve printed no URL: $(cat "$WORK/serve.log")"
say "zeromile serve $SCENARIO at $URL; chromium $("$CHROMIUM" --version 2>/dev/null || echo '?')"
SHOT=""
if [ -n "${BROWSER_TEST_SCREENSHOT:-}" ]; then
    SHOT=$(realpath -m "$BROWSER_TEST_SCREENSHOT")
fi
(cd "$WORK" && node browser-test.mjs "$URL" "$CHROMIUM" "$SHOT") || fail "the page test failed (server log: $(tail -n 3 "$WORK/serve.log"))"
say "done"
