//! Prices as shops write them, read into whole minor units (øre, cents) without floating point:
//! an integer (`12900`, Shopify), a string of minor units (`"12900"`, WooCommerce's Store API),
//! or a decimal string (`"129.00"`, many custom APIs), with the currency's minor-unit count
//! (2 for NOK, 0 for JPY or a Norwegian shop set to whole kroner) from a field or fixed.

use serde::Deserialize;
use serde_json::Value;

/// Largest amount accepted, in minor units: far above any product, and exact in an `f64`, so the
/// browser's `Intl.NumberFormat` gets exactly the number the shop sent.
pub const MAX_MINOR: i64 = 10_000_000_000_000;
/// ISO 4217 has no currency with more minor-unit digits than this.
pub const MAX_EXPONENT: u8 = 4;

/// How the price fields of a mapping are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriceFormat {
    /// A JSON integer of minor units: `12900` is 129,00 with two minor-unit digits.
    Minor,
    /// A JSON string of minor units: `"12900"`.
    MinorString,
    /// A JSON string (or number) in major units with a `.`: `"129.00"`, `"129"`, `"129.5"`.
    Decimal,
}

/// Why a price field could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PriceError {
    WrongType(&'static str),
    NotANumber,
    Negative,
    TooLarge,
    /// More decimals than the currency has (`"12.345"` in NOK).
    TooPrecise,
    BadExponent,
    BadCurrency,
}

impl std::fmt::Display for PriceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WrongType(expected) => write!(f, "expected {expected}"),
            Self::NotANumber => f.write_str("not a number"),
            Self::Negative => f.write_str("negative"),
            Self::TooLarge => f.write_str("too large"),
            Self::TooPrecise => f.write_str("more decimals than the currency has"),
            Self::BadExponent => write!(f, "minor-unit count must be an integer 0–{MAX_EXPONENT}"),
            Self::BadCurrency => f.write_str("currency must be a three-letter ISO 4217 code"),
        }
    }
}

/// Reads one amount into minor units of a currency with `exponent` minor-unit digits.
pub fn parse_amount(value: &Value, format: PriceFormat, exponent: u8) -> Result<i64, PriceError> {
    let minor = match (format, value) {
        (PriceFormat::Minor, Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                i
            } else if n.as_u64().is_some() {
                return Err(PriceError::TooLarge);
            } else {
                return Err(PriceError::WrongType("an integer of minor units"));
            }
        }
        (PriceFormat::Minor, _) => return Err(PriceError::WrongType("an integer of minor units")),
        (PriceFormat::MinorString, Value::String(s)) => digits(s.trim())?,
        (PriceFormat::MinorString, _) => {
            return Err(PriceError::WrongType("a string of minor units"));
        }
        (PriceFormat::Decimal, Value::String(s)) => decimal(s.trim(), exponent)?,
        (PriceFormat::Decimal, Value::Number(n)) => decimal(&n.to_string(), exponent)?,
        (PriceFormat::Decimal, _) => return Err(PriceError::WrongType("a decimal string")),
    };
    if minor < 0 {
        return Err(PriceError::Negative);
    }
    if minor > MAX_MINOR {
        return Err(PriceError::TooLarge);
    }
    Ok(minor)
}

fn digits(s: &str) -> Result<i64, PriceError> {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PriceError::NotANumber);
    }
    if negative {
        return Err(PriceError::Negative);
    }
    let s = s.trim_start_matches('0');
    if s.len() > 15 {
        return Err(PriceError::TooLarge);
    }
    Ok(s.parse().unwrap_or(0))
}

fn decimal(s: &str, exponent: u8) -> Result<i64, PriceError> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if fraction.contains(|c: char| !c.is_ascii_digit()) {
        return Err(PriceError::NotANumber);
    }
    let whole = digits(whole)?;
    let exponent = usize::from(exponent);
    let (kept, dropped) = fraction.split_at(fraction.len().min(exponent));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(PriceError::TooPrecise);
    }
    let scale = 10_i64.pow(exponent as u32);
    let fraction: i64 = format!("{kept:0<exponent$}").parse().unwrap_or(0);
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .ok_or(PriceError::TooLarge)
}

/// A minor-unit count from a field: an integer 0–4, or a string of one.
pub fn parse_exponent(value: &Value) -> Result<u8, PriceError> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.filter(|n| *n <= u64::from(MAX_EXPONENT))
        .map(|n| n as u8)
        .ok_or(PriceError::BadExponent)
}

/// An ISO 4217 code, upper-cased: `nok` → `NOK`.
pub fn parse_currency(raw: &str) -> Result<String, PriceError> {
    let code = raw.trim();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(PriceError::BadCurrency)
    }
}

/// Minor units as the major-unit number `Intl.NumberFormat` expects: 12900 øre → 129.0.
pub fn to_major(minor: i64, exponent: u8) -> f64 {
    minor as f64 / 10_f64.powi(i32::from(exponent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_in_every_format_become_minor_units() {
        use PriceFormat::*;
        let cases: &[(Value, PriceFormat, u8, Result<i64, PriceError>)] = &[
            (json!(12900), Minor, 2, Ok(12900)),
            (json!(0), Minor, 2, Ok(0)),
            (json!(189900), Minor, 2, Ok(189900)),
            (
                json!("12900"),
                Minor,
                2,
                Err(PriceError::WrongType("an integer of minor units")),
            ),
            (
                json!(129.5),
                Minor,
                2,
                Err(PriceError::WrongType("an integer of minor units")),
            ),
            (json!(-100), Minor, 2, Err(PriceError::Negative)),
            (json!(u64::MAX), Minor, 2, Err(PriceError::TooLarge)),
            (
                json!(null),
                Minor,
                2,
                Err(PriceError::WrongType("an integer of minor units")),
            ),
            (json!("1105"), MinorString, 2, Ok(1105)),
            (json!(" 1105 "), MinorString, 2, Ok(1105)),
            (json!("0"), MinorString, 2, Ok(0)),
            (json!("00042"), MinorString, 0, Ok(42)),
            (json!("1899"), MinorString, 0, Ok(1899)),
            (
                json!(1105),
                MinorString,
                2,
                Err(PriceError::WrongType("a string of minor units")),
            ),
            (json!(""), MinorString, 2, Err(PriceError::NotANumber)),
            (json!("11.05"), MinorString, 2, Err(PriceError::NotANumber)),
            (json!("-5"), MinorString, 2, Err(PriceError::Negative)),
            (json!("1e5"), MinorString, 2, Err(PriceError::NotANumber)),
            (
                json!("99999999999999999999"),
                MinorString,
                2,
                Err(PriceError::TooLarge),
            ),
            (
                json!(["1105"]),
                MinorString,
                2,
                Err(PriceError::WrongType("a string of minor units")),
            ),
            (json!("129.00"), Decimal, 2, Ok(12900)),
            (json!("129"), Decimal, 2, Ok(12900)),
            (json!("129.5"), Decimal, 2, Ok(12950)),
            (json!("0.99"), Decimal, 2, Ok(99)),
            (json!("1899.00"), Decimal, 0, Ok(1899)),
            (json!("1899.50"), Decimal, 0, Err(PriceError::TooPrecise)),
            (json!("12.345"), Decimal, 2, Err(PriceError::TooPrecise)),
            (json!("12.3400"), Decimal, 2, Ok(1234)),
            (json!("12,50"), Decimal, 2, Err(PriceError::NotANumber)),
            (json!("12.5.0"), Decimal, 2, Err(PriceError::NotANumber)),
            (json!("kr 12"), Decimal, 2, Err(PriceError::NotANumber)),
            (json!(".5"), Decimal, 2, Err(PriceError::NotANumber)),
            (json!(129.5), Decimal, 2, Ok(12950)),
            (json!(129), Decimal, 2, Ok(12900)),
            (json!("1.5"), Decimal, 3, Ok(1500)),
            (
                json!(true),
                Decimal,
                2,
                Err(PriceError::WrongType("a decimal string")),
            ),
        ];
        for (value, format, exponent, expected) in cases {
            assert_eq!(
                &parse_amount(value, *format, *exponent),
                expected,
                "{value} {format:?} {exponent}"
            );
        }
    }

    #[test]
    fn minor_unit_counts_and_currencies_are_checked() {
        assert_eq!(parse_exponent(&json!(2)), Ok(2));
        assert_eq!(parse_exponent(&json!(0)), Ok(0));
        assert_eq!(parse_exponent(&json!("0")), Ok(0));
        assert_eq!(parse_exponent(&json!(5)), Err(PriceError::BadExponent));
        assert_eq!(parse_exponent(&json!(-1)), Err(PriceError::BadExponent));
        assert_eq!(parse_exponent(&json!(1.5)), Err(PriceError::BadExponent));
        assert_eq!(parse_exponent(&json!(null)), Err(PriceError::BadExponent));
        assert_eq!(parse_currency("NOK"), Ok("NOK".into()));
        assert_eq!(parse_currency(" nok"), Ok("NOK".into()));
        assert_eq!(parse_currency("kr"), Err(PriceError::BadCurrency));
        assert_eq!(parse_currency("NØK"), Err(PriceError::BadCurrency));
        assert_eq!(parse_currency("<b>"), Err(PriceError::BadCurrency));
    }

    #[test]
    fn minor_units_become_the_number_intl_formats() {
        assert_eq!(to_major(189900, 2), 1899.0);
        assert_eq!(to_major(1899, 0), 1899.0);
        assert_eq!(to_major(12950, 2), 129.5);
        assert_eq!(to_major(MAX_MINOR, 0), 1e13);
    }
}
