#!/usr/bin/env bash
# Runs the R worked example of docs/analysis.md, docs/examples/analysis.R, against a smoke run.
#
# Installs Debian's r-base-core, r-cran-readr, r-cran-dplyr, r-cran-tidyr and r-cran-ggplot2
# when Rscript or a package is missing, runs the smoke scenario and a variant without
# zero-mileage exports (4 replicates), runs the script and checks what it prints and that it
# wrote its two PNGs. Skips (exit 0, with a message) only where the packages cannot be
# installed (not root, no apt-get, no network); any other failure fails.
# Usage: bash .ci/r-example.sh     (from anywhere; uses target/release/zeromile, built if stale)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
skip() {
    echo "R example: SKIPPED: $*"
    exit 0
}
fail() {
    echo "R example: FAILED: $*" >&2
    exit 1
}

WORK=$(mktemp -d /tmp/zeromile-r-example.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PACKAGES=(r-base-core r-cran-readr r-cran-dplyr r-cran-tidyr r-cran-ggplot2)
have_r() { command -v Rscript >/dev/null && Rscript -e 'for (p in c("readr", "dplyr", "tidyr", "ggplot2")) library(p, character.only = TRUE)' >/dev/null 2>&1; }
if ! have_r; then
    [ "$(id -u)" = 0 ] || skip "R or its packages are missing, and installing ${PACKAGES[*]} needs root"
    command -v apt-get >/dev/null || skip "R or its packages are missing, and there is no apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -q >"$WORK/apt.log" 2>&1 ||
        ! apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$WORK/apt.log" 2>&1; then
        tail -n 5 "$WORK/apt.log"
        skip "apt-get cannot install ${PACKAGES[*]} (no network or no such packages)"
    fi
    have_r || fail "R packages installed, but readr, dplyr, tidyr or ggplot2 does not load"
fi

cargo build --release --quiet
printf 'extends = "%s/scenarios/smoke.toml"\nname = "smoke_no_zm"\n[policy]\nzero_mileage_quota = 0.0\n' "$ROOT" \
    >"$WORK/smoke_no_zm.toml"
target/release/zeromile run scenarios/smoke.toml "$WORK/smoke_no_zm.toml" -n 4 --no-plots -q -o "$WORK/out"

Rscript docs/examples/analysis.R "$WORK/out" "$WORK/analysis" | tee "$WORK/printed.txt" ||
    fail "docs/examples/analysis.R exited with an error"
for needle in "zero_mileage_exports" "capacity" "vehicles/year" "smoke_no_zm" "utilisation" "effect" "checks: ok"; do
    grep -q -- "$needle" "$WORK/printed.txt" || fail "the script's output lacks \"$needle\""
done
for png in analysis_fan.png analysis_effect.png; do
    head -c 8 "$WORK/$png" 2>/dev/null | od -An -c | grep -q "P   N   G" || fail "no PNG $png written"
done
echo "R example: ok"
