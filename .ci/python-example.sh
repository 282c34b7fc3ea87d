#!/usr/bin/env bash
# Runs the worked example of docs/analysis.md, docs/examples/analysis.py, against a smoke run.
#
# Creates a virtual environment, installs pandas and matplotlib from PyPI, runs the smoke
# scenario and a variant of it without zero-mileage exports (4 replicates; deltas.csv exists),
# runs the script on that directory and checks what it prints and that it wrote its PNG.
# Skips (exit 0, with a message) only where python3 -m venv or pip install fails (no Python
# venv module, no network); any other failure fails.
# Usage: bash .ci/python-example.sh     (from anywhere; uses target/release/zeromile, built if stale)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
skip() {
    echo "python example: SKIPPED: $*"
    exit 0
}
fail() {
    echo "python example: FAILED: $*" >&2
    exit 1
}

WORK=$(mktemp -d /tmp/zeromile-python-example.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 -m venv "$WORK/venv" >"$WORK/venv.log" 2>&1 || {
    tail -n 3 "$WORK/venv.log"
    skip "python3 -m venv failed (no python3 or no venv module)"
}
"$WORK/venv/bin/pip" install -q pandas matplotlib >"$WORK/pip.log" 2>&1 || {
    tail -n 3 "$WORK/pip.log"
    skip "pip install pandas matplotlib failed (no network to PyPI?)"
}

cargo build --release --quiet
printf 'extends = "%s/scenarios/smoke.toml"\nname = "smoke_no_zm"\n[policy]\nzero_mileage_quota = 0.0\n' "$ROOT" \
    >"$WORK/smoke_no_zm.toml"
target/release/zeromile run scenarios/smoke.toml "$WORK/smoke_no_zm.toml" -n 4 --no-plots -q -o "$WORK/out"

"$WORK/venv/bin/python" docs/examples/analysis.py "$WORK/out" "$WORK/analysis.png" | tee "$WORK/printed.txt" ||
    fail "docs/examples/analysis.py exited with an error"
for needle in "Annual medians" "zero_mileage_exports" "capacity" "vehicles/year" "smoke_no_zm" \
    "Annual production / capacity" "Policy effect" "checks: ok"; do
    grep -q -- "$needle" "$WORK/printed.txt" || fail "the script's output lacks \"$needle\""
done
# Numeric sanity: every utilisation the script prints is a fraction.
awk '/^Annual production \/ capacity/ { on = 1; next } on && NF == 0 { on = 0 }
     on && $1 ~ /^[0-9]+$/ { for (i = 2; i <= NF; i++) if ($i + 0 <= 0 || $i + 0 > 1) bad = 1 }
     END { exit bad }' "$WORK/printed.txt" || fail "a printed production/capacity is not in (0, 1]"
[ -s "$WORK/analysis.png" ] || fail "no PNG written"
head -c 8 "$WORK/analysis.png" | od -An -c | grep -q "P   N   G" || fail "analysis.png is not a PNG"
echo "python example: ok"
