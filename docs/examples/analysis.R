#!/usr/bin/env Rscript
# Worked example: a zeromile run directory in R (readr, dplyr, tidyr, ggplot2).
#
# Loads summary.csv, annual.csv, deltas.csv and metrics.csv of a run of two or more scenarios,
# prints the annual medians of a few metrics by year and scenario (with their annual units) and
# the policy effect of each scenario, and draws a fan chart and a policy-effect chart.
#
# Usage: Rscript docs/examples/analysis.R OUT_DIR [PNG_PREFIX]   (default OUT_DIR/analysis)
suppressPackageStartupMessages({
  library(readr)
  library(dplyr)
  library(tidyr)
  library(ggplot2)
})

args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
prefix <- if (length(args) > 1) args[2] else file.path(out, "analysis")

# Empty fields (undefined statistics) are NA; `date` is YYYY-MM.
read <- function(name) read_csv(file.path(out, name), show_col_types = FALSE, na = "")
as_month <- function(d) as.Date(paste0(d, "-01"))
metrics <- read("metrics.csv")
summary <- read("summary.csv") |> mutate(date = as_month(date))
annual <- read("annual.csv")
has_deltas <- file.exists(file.path(out, "deltas.csv"))
baseline <- summary$scenario[1]

# Annual medians: one row per metric and year, one column per scenario.
headline <- c("production", "capacity", "zero_mileage_exports", "avg_transaction_price")
wide <- annual |>
  filter(metric %in% headline) |>
  select(scenario, year, metric, p50) |>
  pivot_wider(names_from = scenario, values_from = p50) |>
  left_join(select(metrics, metric, annual_unit), by = "metric")
print(wide, n = Inf, width = Inf)

# Annual capacity and production are both sums (vehicles/year): their ratio is the year's
# utilisation.
utilisation <- annual |>
  filter(metric %in% c("production", "capacity")) |>
  select(scenario, year, metric, mean) |>
  pivot_wider(names_from = metric, values_from = mean) |>
  mutate(utilisation = production / capacity)
print(utilisation)
stopifnot(all(utilisation$utilisation <= 1 + 1e-9, na.rm = TRUE))

# Fan chart of one metric per scenario: median, 50 % and 90 % bands.
m <- "zero_mileage_exports"
unit <- metrics$unit[metrics$metric == m]
fan <- ggplot(filter(summary, metric == m), aes(date, p50, colour = scenario, fill = scenario)) +
  geom_ribbon(aes(ymin = p05, ymax = p95), alpha = 0.15, colour = NA) +
  geom_ribbon(aes(ymin = p25, ymax = p75), alpha = 0.3, colour = NA) +
  geom_line() +
  labs(title = paste0(m, ": median, 50 % and 90 % bands"), x = NULL, y = unit)
ggsave(paste0(prefix, "_fan.png"), fan, width = 8, height = 4.5, dpi = 100)

# Policy effect: the paired difference against the baseline, mean and 90 % band.
if (has_deltas) {
  deltas <- read("deltas.csv") |> mutate(date = as_month(date))
  flows <- metrics$metric[metrics$annual_aggregation == "sum"]
  effect <- deltas |>
    filter(metric %in% intersect(headline, flows)) |>
    group_by(scenario, metric) |>
    summarise(effect = sum(mean), .groups = "drop")
  print(effect)
  policy <- ggplot(filter(deltas, metric == m), aes(date, mean, colour = scenario, fill = scenario)) +
    geom_hline(yintercept = 0, colour = "grey50") +
    geom_ribbon(aes(ymin = p05, ymax = p95), alpha = 0.2, colour = NA) +
    geom_line() +
    labs(title = paste("policy effect vs", baseline, "(paired difference)"), x = NULL, y = unit)
  ggsave(paste0(prefix, "_effect.png"), policy, width = 8, height = 4.5, dpi = 100)
}
cat("checks: ok\n")
