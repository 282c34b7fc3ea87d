//! The households' shared expectation state: heuristic switching between an adaptive and a
//! trend rule (docs/model.md §7.3).

use crate::scenario::ConsumerParams;

/// The trend rule's forecast of next month's price change from the last two observed ones:
/// π_last + γ (π_last − π_prev), with γ = `consumers.trend_strength`.
pub fn trend(pi_last: f64, pi_prev: f64, strength: f64) -> f64 {
    pi_last + strength * (pi_last - pi_prev)
}

/// The households' shared expectation state (heuristic switching, Brock & Hommes 1997;
/// docs/model.md §7.3): the last two observed price changes, each rule's forecast and squared
/// error memory (fitness), and the probability of adopting the trend rule on revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectations {
    /// Observed regular-price change this month and last (fraction/month).
    pi: [f64; 2],
    /// Smoothed squared forecast error of the adaptive (0) and trend (1) rules (pp²).
    fitness: [f64; 2],
    /// Forecast of the next change by the adaptive (0) and trend (1) rules.
    forecasts: [f64; 2],
    /// Probability of adopting the trend rule on revision.
    trend_probability: f64,
}

impl Expectations {
    /// No price change observed yet; the trend rule starts at `initial_trend_share`.
    pub fn new(initial_trend_share: f64) -> Self {
        Expectations { pi: [0.0; 2], fitness: [0.0; 2], forecasts: [0.0; 2], trend_probability: initial_trend_share }
    }

    /// Observes this month's change `pi_now`: each rule's fitness is updated with its error
    /// (percentage points), the trend probability is the logit of the fitness difference, and
    /// both rules forecast the next change.
    pub fn observe(&mut self, pi_now: f64, p: &ConsumerParams) {
        for h in 0..2 {
            let e = 100.0 * (pi_now - self.forecasts[h]);
            self.fitness[h] = p.error_memory * self.fitness[h] + (1.0 - p.error_memory) * e * e;
        }
        let x = (p.switching_intensity * (self.fitness[1] - self.fitness[0])).clamp(-50.0, 50.0);
        self.trend_probability = 1.0 / (1.0 + x.exp());
        self.pi = [pi_now, self.pi[0]];
        self.forecasts[0] += p.adaptive_weight * (pi_now - self.forecasts[0]);
        self.forecasts[1] = trend(pi_now, self.pi[1], p.trend_strength);
    }

    /// The last observed change (fraction/month).
    pub fn last_change(&self) -> f64 {
        self.pi[0]
    }

    /// The trend rule's forecast of the next change.
    pub fn trend_forecast(&self) -> f64 {
        self.forecasts[1]
    }

    /// Probability of adopting the trend rule on revision.
    pub fn trend_probability(&self) -> f64 {
        self.trend_probability
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_rule_extrapolates_the_last_change() {
        assert!((trend(-0.02, -0.01, 0.5) - -0.025).abs() < 1e-15);
        assert_eq!(trend(0.01, 0.03, 0.0), 0.01, "strength 0 is naive expectations");
    }

    /// Under an accelerating decline the trend rule is exact from the second month and wins the
    /// households over; under a constant change both rules end up exact and neither wins; under
    /// alternating changes the trend rule extrapolates noise and loses them.
    #[test]
    fn expectations_switch_toward_the_rule_that_forecast_better() {
        let p = ConsumerParams::default();
        let mut accelerating = Expectations::new(0.5);
        for m in 0..24 {
            accelerating.observe(-0.001 * (m + 1) as f64, &p);
        }
        assert!((accelerating.trend_forecast() - -0.025).abs() < 1e-12);
        assert!(accelerating.trend_probability() > 0.5, "{}", accelerating.trend_probability());

        let mut steady = Expectations::new(0.5);
        for _ in 0..60 {
            steady.observe(-0.01, &p);
        }
        assert_eq!(steady.last_change(), -0.01);
        assert!((steady.trend_forecast() - -0.01).abs() < 1e-15);
        assert!((steady.trend_probability() - 0.5).abs() < 1e-3, "{}", steady.trend_probability());

        let mut zigzag = Expectations::new(0.5);
        for m in 0..24 {
            zigzag.observe(if m % 2 == 0 { 0.01 } else { -0.01 }, &p);
        }
        assert!(zigzag.trend_probability() < 0.5, "{}", zigzag.trend_probability());
        // After +1 %, -1 %: the trend rule forecasts -1 % - γ·2 %.
        assert!((zigzag.trend_forecast() - (-0.01 - p.trend_strength * 0.02)).abs() < 1e-15);
    }
}
