#!/usr/bin/env python3
"""Worked example: a zeromile run directory in pandas.

Loads summary.csv, annual.csv, deltas.csv and metrics.csv of a run of two or more scenarios,
prints the annual medians of a few metrics pivoted by year and scenario (with their annual
units from metrics.csv) and the policy effect of each scenario, and draws a fan chart and a
policy-effect chart into one PNG.

Usage: python3 docs/examples/analysis.py OUT_DIR [PNG]   (PNG defaults to OUT_DIR/analysis.png)
Needs pandas and matplotlib (pip install pandas matplotlib).
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import pandas as pd

out = Path(sys.argv[1])
png = Path(sys.argv[2]) if len(sys.argv) > 2 else out / "analysis.png"

def number(v):
    """Large values with thousands separators, small ones to four significant digits."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


# --- Load. Empty fields (undefined statistics) become NaN; `date` is YYYY-MM. -------------------
metrics = pd.read_csv(out / "metrics.csv").set_index("metric")
summary = pd.read_csv(out / "summary.csv")
summary["date"] = pd.to_datetime(summary["date"], format="%Y-%m")
annual = pd.read_csv(out / "annual.csv")
deltas_path = out / "deltas.csv"
deltas = pd.read_csv(deltas_path) if deltas_path.exists() else None
if deltas is not None:
    deltas["date"] = pd.to_datetime(deltas["date"], format="%Y-%m")
baseline = summary["scenario"].iloc[0]

# --- Annual medians, one row per metric and year, one column per scenario. -------------------
headline = ["production", "capacity", "zero_mileage_exports", "avg_transaction_price"]
wide = annual[annual["metric"].isin(headline)].pivot_table(
    index=["metric", "year"], columns="scenario", values="p50", sort=False
)
wide.insert(0, "annual_unit", metrics.loc[wide.index.get_level_values("metric"), "annual_unit"].to_numpy())
print("Annual medians (p50 across replicates):")
print(wide.to_string(float_format=number))

# Annual capacity and production are both sums (vehicles/year): their ratio is the year's
# utilisation, per replicate mean.
per_year = annual.pivot_table(index=["scenario", "year"], columns="metric", values="mean")
utilisation = (per_year["production"] / per_year["capacity"]).rename("production/capacity")
print()
print("Annual production / capacity (means):")
print(utilisation.unstack("scenario").to_string(float_format=lambda v: f"{v:.3f}"))

# --- Policy effect: mean paired difference against the baseline, summed over the run. --------
if deltas is not None:
    flows = metrics.index[metrics["annual_aggregation"] == "sum"]
    effect = (
        deltas[deltas["metric"].isin(flows)]
        .groupby(["scenario", "metric"], sort=False)["mean"]
        .sum()
        .unstack("scenario")
    )
    print()
    print(f"Policy effect over the run (sum of monthly mean differences vs {baseline}):")
    print(effect.loc[[m for m in headline if m in effect.index]].to_string(float_format=number))

# --- Sanity checks a reader can rely on. ------------------------------------------------------
used = set(summary["metric"]) | set(annual["metric"])
assert used <= set(metrics.index), f"metrics without a row in metrics.csv: {used - set(metrics.index)}"
for frame in (summary, annual):
    q = frame.dropna(subset=["p05", "p50", "p95"])
    assert ((q["p05"] <= q["p50"]) & (q["p50"] <= q["p95"])).all(), "quantiles out of order"
assert (utilisation.dropna() <= 1.0 + 1e-9).all(), "annual production exceeds annual capacity"
print()
print(f"checks: ok ({len(used)} metrics, {summary['scenario'].nunique()} scenarios)")

# --- Charts: a fan chart of one metric per scenario, and the policy effect. -------------------
metric = "zero_mileage_exports"
unit = metrics.loc[metric, "unit"]
fig, axes = plt.subplots(1, 2 if deltas is not None else 1, figsize=(12, 4.5), squeeze=False)
ax = axes[0][0]
for name, s in summary[summary["metric"] == metric].groupby("scenario", sort=False):
    line = ax.plot(s["date"], s["p50"], label=f"{name} (median)")[0]
    ax.fill_between(s["date"], s["p05"], s["p95"], color=line.get_color(), alpha=0.15)
    ax.fill_between(s["date"], s["p25"], s["p75"], color=line.get_color(), alpha=0.3)
ax.set_title(f"{metric}: median, 50 % and 90 % bands")
ax.set_ylabel(unit)
ax.legend()
if deltas is not None:
    ax = axes[0][1]
    for name, d in deltas[deltas["metric"] == metric].groupby("scenario", sort=False):
        line = ax.plot(d["date"], d["mean"], label=f"{name} − {baseline}")[0]
        ax.fill_between(d["date"], d["p05"], d["p95"], color=line.get_color(), alpha=0.2)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_title("policy effect (paired difference, mean and 90 % band)")
    ax.set_ylabel(unit)
    ax.legend()
fig.autofmt_xdate()
fig.tight_layout()
fig.savefig(png, dpi=100)
print(f"wrote {png}")
