//! serde's messages in the user's words: the one place where a type error of any input file
//! (scenario, `--set`, sweep, targets, calibration) is translated. `invalid type: string "many",
//! expected usize` becomes `expected a whole number of at least 0, found text "many"`; messages
//! that are not serde's pass unchanged.

/// The user's words for a serde error message (its first line).
pub(crate) fn in_user_words(message: &str) -> String {
    let m = message.lines().next().unwrap_or_default();
    if let Some((found, expected)) = type_error(m) {
        return format!("expected {}, found {}", expected_words(expected), found_words(found));
    }
    if let Some(rest) = m.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or_default();
        return format!("the required key `{key}` is missing");
    }
    m.to_string()
}

/// `Some((found, expected))` for serde's `invalid type: F, expected E` and `invalid value: F,
/// expected E`.
fn type_error(m: &str) -> Option<(&str, &str)> {
    let rest = m.strip_prefix("invalid type: ").or_else(|| m.strip_prefix("invalid value: "))?;
    rest.rsplit_once(", expected ")
}

/// Whether `message` is serde's type or value error (so the caller may say in its own words
/// what it expected).
pub(crate) fn is_type_error(message: &str) -> bool {
    type_error(message.lines().next().unwrap_or_default()).is_some()
}

/// What serde's `expected` part means to a user.
fn expected_words(expected: &str) -> String {
    let words = match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "usize" | "u128" => "a whole number of at least 0",
        "i8" | "i16" | "i32" | "i64" | "isize" | "i128" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" | "string" => "text",
        "char" | "a character" => "a single character",
        "a sequence" | "sequence" => "a list",
        "a map" | "map" => "a table",
        other if other.starts_with("struct ") => "a table",
        other => return other.to_string(),
    };
    words.to_string()
}

/// What serde's `Unexpected` (the value found) means to a user: `6.5`, `-5`, `true`, `text
/// "many"`, `a list`, `a table`.
fn found_words(found: &str) -> String {
    for prefix in ["integer `", "floating point `", "boolean `", "character `"] {
        if let Some(v) = found.strip_prefix(prefix).and_then(|r| r.strip_suffix('`')) {
            return v.to_string();
        }
    }
    if let Some(s) = found.strip_prefix("string ") {
        return format!("text {s}");
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        "unit value" | "Option value" => "nothing".into(),
        other => other.to_string(),
    }
}

/// How a TOML value is named in "found …": its text for numbers and booleans, `text "…"`, `a
/// list`, `a table`, `a date-time`.
pub(crate) fn found_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("text {s:?}"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => format!("the date-time {d}"),
        toml::Value::Array(_) => "a list".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_type_errors_are_translated() {
        let cases = [
            (
                "invalid type: string \"many\", expected usize",
                "expected a whole number of at least 0, found text \"many\"",
            ),
            (
                "invalid type: floating point `6.5`, expected u32",
                "expected a whole number from 0 to 4294967295, found 6.5",
            ),
            ("invalid value: integer `-5`, expected u64", "expected a whole number of at least 0, found -5"),
            ("invalid type: boolean `true`, expected f64", "expected a number, found true"),
            ("invalid type: integer `3`, expected a boolean", "expected true or false, found 3"),
            ("invalid type: integer `3`, expected a string", "expected text, found 3"),
            ("invalid type: string \"a=1\", expected a sequence", "expected a list, found text \"a=1\""),
            ("invalid type: sequence, expected u64", "expected a whole number of at least 0, found a list"),
            ("invalid type: map, expected f64", "expected a number, found a table"),
            ("invalid type: integer `3`, expected struct RawSweep", "expected a table, found 3"),
            ("invalid type: string \"x\", expected i32", "expected a whole number, found text \"x\""),
            // A text containing serde's separator: the last one is the separator.
            ("invalid type: string \"a, expected b\", expected f64", "expected a number, found text \"a, expected b\""),
            // A custom expectation is kept as written.
            (
                "invalid type: integer `2019`, expected a month written YYYY-MM",
                "expected a month written YYYY-MM, found 2019",
            ),
            ("missing field `base`", "the required key `base` is missing"),
            ("expected a number in [0.0, 1.0], got 1.5", "expected a number in [0.0, 1.0], got 1.5"),
        ];
        for (serde, ours) in cases {
            assert_eq!(in_user_words(serde), ours, "{serde}");
        }
        assert_eq!(
            in_user_words("invalid type: string \"x\", expected f64\nmore"),
            "expected a number, found text \"x\""
        );
        assert!(is_type_error("invalid value: integer `-5`, expected u64"));
        assert!(!is_type_error("unknown field `x`"));
    }

    #[test]
    fn found_values_are_named() {
        let v: toml::Table =
            toml::from_str("s = \"x\"\ni = -5\nf = 6.5\nb = true\na = [1]\nt = {}\nd = 1979-05-27").unwrap();
        let found = |k: &str| found_value(&v[k]);
        assert_eq!(found("s"), "text \"x\"");
        assert_eq!(found("i"), "-5");
        assert_eq!(found("f"), "6.5");
        assert_eq!(found("b"), "true");
        assert_eq!(found("a"), "a list");
        assert_eq!(found("t"), "a table");
        assert_eq!(found("d"), "the date-time 1979-05-27");
    }
}
