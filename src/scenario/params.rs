//! Parameter metadata: the `params!` macro declares a scenario section once — field, type,
//! default, unit, valid range, meaning and source — and derives its struct, its defaults, its
//! range checks and its entries in `zeromile describe`.

use crate::scenario::YearMonth;

/// One documented scenario key, as listed by `zeromile describe`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeyDoc {
    /// Dotted key path (`consumers.agents`; `markets[].tariff` for array elements).
    pub path: String,
    /// TOML type expected (`float`, `integer`, `bool`, `string`, `month`).
    pub ty: &'static str,
    /// Unit of the value.
    pub unit: &'static str,
    /// Default, as TOML text.
    pub default: String,
    /// Valid range or allowed values.
    pub range: String,
    /// One-line meaning.
    pub meaning: &'static str,
    /// Source in `docs/model.md`'s reference list, or "assumption".
    pub source: &'static str,
}

/// A value that a scenario key may hold; knows its TOML type name and how to check a range.
pub trait ParamValue: Clone + std::fmt::Debug {
    /// TOML type name shown to users.
    const TY: &'static str;
    /// The allowed values of a key with a fixed set of words (empty for other types).
    const CHOICES: &'static [&'static str] = &[];
    /// `Err(expected)` when the value is outside `[lo, hi]`.
    fn check(&self, lo: &Self, hi: &Self) -> Result<(), String>;
    /// TOML text of the value.
    fn toml(&self) -> String;
}

impl ParamValue for f64 {
    const TY: &'static str = "float";
    fn check(&self, lo: &Self, hi: &Self) -> Result<(), String> {
        if !self.is_nan() && *self >= *lo && *self <= *hi {
            Ok(())
        } else {
            Err(format!("expected a number in [{}, {}], got {}", lo.toml(), hi.toml(), self))
        }
    }
    fn toml(&self) -> String {
        let s = format!("{self}");
        if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
            s
        } else {
            format!("{s}.0")
        }
    }
}

macro_rules! int_param {
    ($t:ty) => {
        impl ParamValue for $t {
            const TY: &'static str = "integer";
            fn check(&self, lo: &Self, hi: &Self) -> Result<(), String> {
                if *self >= *lo && *self <= *hi {
                    Ok(())
                } else {
                    Err(format!("expected a whole number in [{lo}, {hi}], got {self}"))
                }
            }
            fn toml(&self) -> String {
                self.to_string()
            }
        }
    };
}
int_param!(u32);
int_param!(u64);
int_param!(usize);

impl ParamValue for bool {
    const TY: &'static str = "bool";
    fn check(&self, _: &Self, _: &Self) -> Result<(), String> {
        Ok(())
    }
    fn toml(&self) -> String {
        self.to_string()
    }
}

impl ParamValue for String {
    const TY: &'static str = "string";
    fn check(&self, _: &Self, _: &Self) -> Result<(), String> {
        let ok = !self.is_empty() && self.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(())
        } else {
            Err(format!("expected an identifier of lowercase letters, digits and `_`, got {self:?}"))
        }
    }
    fn toml(&self) -> String {
        format!("{self:?}")
    }
}

impl ParamValue for YearMonth {
    const TY: &'static str = "month";
    fn check(&self, lo: &Self, hi: &Self) -> Result<(), String> {
        if self >= lo && self <= hi {
            Ok(())
        } else {
            Err(format!("expected a month between {lo} and {hi}, got {self}"))
        }
    }
    fn toml(&self) -> String {
        format!("\"{self}\"")
    }
}

/// Range text for `describe`.
pub fn range_text<T: ParamValue>(lo: &T, hi: &T) -> String {
    if T::TY == "bool" {
        "true | false".to_string()
    } else if !T::CHOICES.is_empty() {
        T::CHOICES.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(" | ")
    } else if T::TY == "string" {
        "identifier [a-z0-9_]+".to_string()
    } else {
        format!("[{}, {}]", lo.toml(), hi.toml())
    }
}

/// A range violation found by a section's `check`: key path relative to the section and message.
pub type Violation = (String, String);

/// Declares a scenario section: see the module docs. Each field reads
/// `/// meaning` `name: Type = default, unit "u", range [lo, hi], source "s";`.
macro_rules! params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                #[doc = $doc:literal]
                $field:ident : $ty:ty = $default:expr, unit $unit:literal, range [$lo:expr, $hi:expr], source $src:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $(
                #[doc = $doc]
                #[doc = concat!("\n\nUnit: ", $unit, ". Source: ", $src, ".")]
                pub $field: $ty,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default,)* }
            }
        }

        impl $name {
            /// Documentation of every key of this section, paths prefixed with `prefix`.
            pub fn describe(prefix: &str) -> Vec<$crate::scenario::params::KeyDoc> {
                let d = Self::default();
                vec![$(
                    $crate::scenario::params::KeyDoc {
                        path: format!("{}{}", prefix, stringify!($field)),
                        ty: <$ty as $crate::scenario::params::ParamValue>::TY,
                        unit: $unit,
                        default: $crate::scenario::params::ParamValue::toml(&d.$field),
                        range: $crate::scenario::params::range_text::<$ty>(&$lo, &$hi),
                        meaning: $doc.trim(),
                        source: $src,
                    },
                )*]
            }

            /// Range violations of this section (key relative to the section, message).
            pub fn check(&self) -> Vec<$crate::scenario::params::Violation> {
                let mut out = Vec::new();
                $(
                    if let Err(m) = $crate::scenario::params::ParamValue::check(&self.$field, &$lo, &$hi) {
                        out.push((stringify!($field).to_string(), m));
                    }
                )*
                out
            }
        }
    };
}
pub(crate) use params;
