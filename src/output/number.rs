//! How numbers are written in the CSV outputs: ten significant digits, empty when undefined.
//!
//! Every float of every CSV file the program writes goes through this module, so the precision
//! rule is stated, implemented and tested once.

/// Significant digits of a CSV number ([`cell`]).
pub const SIGNIFICANT_DIGITS: usize = 10;

/// Formats a statistic or value for a CSV cell, rounded to [`SIGNIFICANT_DIGITS`] significant
/// digits.
///
/// The value is rounded to ten significant digits in decimal (Rust's exact `{:e}` formatting,
/// round half to even, no platform `printf`), and that decimal is written in plain notation with
/// trailing zeros dropped: `2059587.4000000001` → `2059587.4`, `1/3` → `0.3333333333`,
/// `1e20` → `100000000000000000000`, `1e-12` → `0.000000000001`; never exponent notation. A
/// value that rounds to zero, `-0.0` included, is written `0`. `None`, NaN and infinities are
/// written as an empty field: a statistic that is undefined (no replicates) or not finite is
/// left blank rather than printed as text a CSV reader would choke on. The text is the same on
/// every platform.
pub(crate) fn cell(x: Option<f64>) -> String {
    format_number(x, Some(SIGNIFICANT_DIGITS))
}

/// Formats a value losslessly (the shortest text that parses back to the same bits), for the
/// one file that is replayed rather than read: a calibration's evaluation log, whose
/// `--resume` must follow the optimiser's path bit for bit. Zero, `-0.0`, `None`, NaN and
/// infinities as in [`cell`].
pub(crate) fn cell_exact(x: Option<f64>) -> String {
    format_number(x, None)
}

/// The one number formatter: `digits` significant digits, or round-trip when `None`.
fn format_number(x: Option<f64>, digits: Option<usize>) -> String {
    let Some(v) = x.filter(|v| v.is_finite()) else { return String::new() };
    let v = match digits {
        // `{:.*e}` is exact decimal rounding of the binary value; parsing that decimal back
        // gives the double nearest to it, whose shortest form (`Display`) is that decimal.
        Some(d) => format!("{:.*e}", d.saturating_sub(1), v).parse::<f64>().unwrap_or(v),
        None => v,
    };
    if v == 0.0 {
        "0".to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{cell, cell_exact};

    fn c(x: f64) -> String {
        cell(Some(x))
    }

    #[test]
    fn formats() {
        assert_eq!(c(0.1), "0.1");
        assert_eq!(c(2.0), "2");
        assert_eq!(c(1.5e6), "1500000");
        assert_eq!(c(1.0 / 3.0), "0.3333333333");
        assert_eq!(c(-2.0 / 3.0), "-0.6666666667");
        assert_eq!(cell(Some(f64::NAN)), "");
        assert_eq!(cell(Some(f64::INFINITY)), "");
        assert_eq!(cell(Some(f64::NEG_INFINITY)), "");
        assert_eq!(cell(None), "");
    }

    #[test]
    fn zero_and_negative_zero_are_0() {
        assert_eq!(c(0.0), "0");
        assert_eq!(c(-0.0), "0");
        assert_eq!(cell_exact(Some(-0.0)), "0");
        // Below the smallest normal: still rounds to a tiny non-zero number, not to -0.
        assert_eq!(c(-5e-324), "-0.".to_string() + &"0".repeat(323) + "5");
    }

    #[test]
    fn binary_noise_is_cut() {
        assert_eq!(c(2059587.4000000001), "2059587.4");
        assert_eq!(c(0.1 + 0.2), "0.3");
        assert_eq!(c(-0.10000000000000009), "-0.1");
        assert_eq!(c(100.0 * 1.1), "110");
    }

    #[test]
    fn ten_significant_digits() {
        assert_eq!(c(123456789012.0), "123456789000");
        assert_eq!(c(1234567890.6), "1234567891");
        assert_eq!(c(1234567890.5), "1234567890", "an exact tie rounds to even");
        assert_eq!(c(9999999999.6), "10000000000");
        assert_eq!(c(1e20), "100000000000000000000");
        assert_eq!(c(1e-12), "0.000000000001");
        assert_eq!(c(1.23456789012e-7), "0.000000123456789");
        // A small negative residue is a value like any other: ten significant digits of it.
        let residue = 0.3 - (0.1 + 0.2);
        assert_eq!(c(residue), "-0.00000000000000005551115123");
        assert_eq!(c(residue).parse::<f64>().unwrap(), -5.551115123e-17);
    }

    #[test]
    fn exact_round_trips() {
        for x in [123.456e-7, 1.0 / 3.0, 2059587.4000000001, -0.10000000000000009] {
            assert_eq!(cell_exact(Some(x)).parse::<f64>().unwrap(), x);
        }
    }
}
