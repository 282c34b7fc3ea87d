//! Numeric flag values in the user's words. The flags that use these parsers also allow a
//! leading `-` (clap's `allow_negative_numbers`), so `-n -5` reaches the parser and is answered
//! with "--replicates: expected a whole number of at least 1, found -5" instead of clap's
//! `use '-- -5'` tip; [`flag_error`] gives that line for clap's validation error.

/// A whole number in `MIN..=MAX` (`MAX = u64::MAX`: no upper bound), or what was expected and
/// found.
pub(super) fn whole<const MIN: u64, const MAX: u64>(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let expected = if MAX == u64::MAX {
        format!("expected a whole number of at least {MIN}")
    } else {
        format!("expected a whole number from {MIN} to {MAX}")
    };
    let digits = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    match t.parse::<u64>() {
        Ok(v) if (MIN..=MAX).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{expected}, found {v}")),
        Err(_) if digits => Err(format!("{expected}, found {t}, which is too large")),
        Err(_) if t.parse::<f64>().is_ok() => Err(format!("{expected}, found {t}")),
        Err(_) => Err(format!("{expected}, found {text:?}")),
    }
}

/// [`whole`] of at least `MIN`, as a `usize` (thread counts).
pub(super) fn whole_usize<const MIN: u64>(text: &str) -> Result<usize, String> {
    let v = whole::<MIN, { u64::MAX }>(text)?;
    usize::try_from(v).map_err(|_| format!("expected a whole number of at least {MIN}, found {v}, which is too large"))
}

/// [`whole`] of at least 0, as a `u32` (pixels; the plot layer checks their range).
pub(super) fn whole_u32(text: &str) -> Result<u32, String> {
    let v = whole::<0, { u32::MAX as u64 }>(text)?;
    u32::try_from(v).map_err(|_| format!("expected a whole number from 0 to {}, found {v}", u32::MAX))
}

/// The one-line message of clap's error when a flag's value was refused by one of these
/// parsers: `--replicates: expected a whole number of at least 1, found -5`.
pub(super) fn flag_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let source = std::error::Error::source(e)?;
    // clap names the flag as `--replicates <REPLICATES>`; the user's words are the flag.
    let flag = arg.split_whitespace().next().unwrap_or(arg);
    Some(format!("{flag}: {source}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_say_what_was_expected_and_found() {
        assert_eq!(whole::<1, { u64::MAX }>("12"), Ok(12));
        assert_eq!(whole::<0, { u64::MAX }>("0"), Ok(0));
        assert_eq!(whole::<1, { u64::MAX }>("-5"), Err("expected a whole number of at least 1, found -5".into()));
        assert_eq!(whole::<1, { u64::MAX }>("0"), Err("expected a whole number of at least 1, found 0".into()));
        assert_eq!(whole::<1, { u64::MAX }>("6.5"), Err("expected a whole number of at least 1, found 6.5".into()));
        assert_eq!(
            whole::<1, { u64::MAX }>("many"),
            Err("expected a whole number of at least 1, found \"many\"".into())
        );
        assert_eq!(
            whole::<0, { u64::MAX }>("99999999999999999999999"),
            Err("expected a whole number of at least 0, found 99999999999999999999999, which is too large".into())
        );
        assert_eq!(whole::<1, 120>("121"), Err("expected a whole number from 1 to 120, found 121".into()));
        assert_eq!(whole::<1, 120>("120"), Ok(120));
        assert_eq!(whole_usize::<0>("-1"), Err("expected a whole number of at least 0, found -1".into()));
        assert_eq!(whole_usize::<0>("8"), Ok(8));
        assert_eq!(whole_u32("1600"), Ok(1600));
        assert_eq!(whole_u32("-5"), Err("expected a whole number from 0 to 4294967295, found -5".into()));
    }
}
