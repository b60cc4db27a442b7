//! How dates, quantities and money read on the pages.
//!
//! Event times carry the UTC offset of the place where they happened, and
//! the pages show them in that local time with the offset written out, so
//! "departed 18:00" means 18:00 at the port, whatever the reader's zone.

use chrono::{DateTime, FixedOffset};

/// A moment as shown on a page, plus the machine-readable form for
/// `<time datetime=…>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Moment {
    /// "10 May 2025, 18:00 (UTC+07:00)"
    pub(crate) text: String,
    /// "10 May 2025"
    pub(crate) date: String,
    /// RFC 3339 with the original offset.
    pub(crate) machine: String,
}

impl Moment {
    pub(crate) fn of(time: &DateTime<FixedOffset>) -> Self {
        Self {
            text: format!("{} ({})", time.format("%-d %b %Y, %H:%M"), utc_offset(time)),
            date: time.format("%-d %b %Y").to_string(),
            machine: time.to_rfc3339(),
        }
    }

    pub(crate) fn of_optional(time: Option<&DateTime<FixedOffset>>) -> Option<Self> {
        time.map(Self::of)
    }
}

/// "UTC+07:00", "UTC-04:00", "UTC+00:00".
fn utc_offset(time: &DateTime<FixedOffset>) -> String {
    format!("UTC{}", time.format("%:z"))
}

/// A decimal with thousands separators and at most `max_fraction` digits,
/// trailing zeros dropped: 18500.0 → "18,500", 28.25 → "28.25".
pub(crate) fn decimal(value: f64, max_fraction: usize) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let fixed = format!("{:.*}", max_fraction, value.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((fixed.as_str(), ""));
    let fraction = fraction.trim_end_matches('0');
    let sign = if value < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    let whole = group_thousands(whole);
    if fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction}") }
}

/// An amount kept in minor units, in its currency: (123456, "USD") →
/// "USD 1,234.56", (150000, "JPY") → "JPY 150,000".
pub(crate) fn money(amount_minor: i64, currency: &str) -> String {
    let digits = minor_unit_digits(currency);
    let divisor = 10_u64.pow(digits);
    let sign = if amount_minor < 0 { "-" } else { "" };
    let magnitude = amount_minor.unsigned_abs();
    let whole = group_thousands(&(magnitude / divisor).to_string());
    let amount = if digits == 0 {
        whole
    } else {
        let fraction = magnitude % divisor;
        format!("{whole}.{fraction:0width$}", width = digits as usize)
    };
    format!("{currency} {sign}{amount}")
}

/// ISO 4217 minor-unit digits for the currencies whose count is not two.
fn minor_unit_digits(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV"
        | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(rfc3339).expect("a valid test time")
    }

    #[test]
    fn times_read_in_the_local_time_they_were_given_with_their_offset() {
        let departed = Moment::of(&at("2025-05-10T18:00:00+07:00"));
        assert_eq!(departed.text, "10 May 2025, 18:00 (UTC+07:00)");
        assert_eq!(departed.date, "10 May 2025");
        assert_eq!(departed.machine, "2025-05-10T18:00:00+07:00");
        assert_eq!(Moment::of(&at("2025-05-25T06:30:00-07:00")).text, "25 May 2025, 06:30 (UTC-07:00)");
        assert_eq!(Moment::of(&at("2025-01-02T00:05:00Z")).text, "2 Jan 2025, 00:05 (UTC+00:00)");
    }

    #[test]
    fn decimals_group_thousands_and_drop_trailing_zeros() {
        assert_eq!(decimal(18_500.0, 3), "18,500");
        assert_eq!(decimal(28.25, 3), "28.25");
        assert_eq!(decimal(1_234_567.891_2, 2), "1,234,567.89");
        assert_eq!(decimal(0.0, 3), "0");
        assert_eq!(decimal(999.9996, 3), "1,000");
        assert_eq!(decimal(-1234.5, 1), "-1,234.5");
    }

    #[test]
    fn money_follows_the_currency_minor_unit() {
        assert_eq!(money(123_456, "USD"), "USD 1,234.56");
        assert_eq!(money(5, "EUR"), "EUR 0.05");
        assert_eq!(money(150_000, "JPY"), "JPY 150,000");
        assert_eq!(money(1_500, "KWD"), "KWD 1.500");
        assert_eq!(money(-2_050, "USD"), "USD -20.50");
        assert_eq!(money(i64::MIN, "USD"), "USD -92,233,720,368,547,758.08");
    }
}
