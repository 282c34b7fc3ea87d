//! How numbers are written in the CSV outputs: shortest round-trip text, empty when undefined.

/// Formats a statistic or value for a CSV cell.
///
/// Finite values use Rust's `Display` for `f64`, the shortest text that parses back to the same
/// bits (`0.1`, `2`, `1500000`; never exponent notation), so output is deterministic and
/// lossless. Negative zero is written `0`. `None`, NaN and infinities are written as an empty
/// field: a statistic that is undefined (no replicates) or not finite is left blank rather than
/// printed as text a CSV reader would choke on.
pub(crate) fn cell(x: Option<f64>) -> String {
    match x {
        Some(0.0) => "0".to_string(),
        Some(v) if v.is_finite() => v.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::cell;

    #[test]
    fn formats() {
        assert_eq!(cell(Some(0.1)), "0.1");
        assert_eq!(cell(Some(2.0)), "2");
        assert_eq!(cell(Some(-0.0)), "0");
        assert_eq!(cell(Some(1.5e6)), "1500000");
        assert_eq!(cell(Some(1.0 / 3.0)), "0.3333333333333333");
        assert_eq!(cell(Some(f64::NAN)), "");
        assert_eq!(cell(Some(f64::INFINITY)), "");
        assert_eq!(cell(None), "");
        let x = 123.456e-7;
        assert_eq!(cell(Some(x)).parse::<f64>().unwrap(), x);
    }
}
