//! Parse-don't-validate value types.
//!
//! Each constructor accepts loose input (surrounding spaces, lower case),
//! normalizes it, and refuses anything invalid, so a value of one of these
//! types is always well-formed. Callers never re-check.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was refused. The HTTP layer adds the name of the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// What kind of value was being parsed, e.g. "UN/LOCODE".
    pub what: &'static str,
    /// A sentence a person can act on.
    pub reason: String,
}

impl ParseError {
    fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Self { what, reason: reason.into() }
    }
}

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A UN/LOCODE: two-letter ISO 3166 country code plus a three-character
/// location code, e.g. `VNSGN` (Ho Chi Minh City / Cat Lai), `USLGB`
/// (Long Beach). The written form `VN SGN` is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnLocode(String);
string_value!(UnLocode);

impl UnLocode {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "UN/LOCODE";
        let compact: String = raw.trim().chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
        if compact.len() != 5 || !compact.is_ascii() {
            return Err(ParseError::new(
                WHAT,
                format!("'{raw}' is not a UN/LOCODE: expected 5 characters such as VNSGN"),
            ));
        }
        let (country, place) = compact.split_at(2);
        if !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ParseError::new(
                WHAT,
                format!("'{raw}' is not a UN/LOCODE: the first two characters must be a country code"),
            ));
        }
        // UN/LOCODE location codes use letters and the digits 2-9 (0 and 1 are
        // excluded to avoid confusion with O and I).
        if !place.chars().all(|c| c.is_ascii_uppercase() || ('2'..='9').contains(&c)) {
            return Err(ParseError::new(
                WHAT,
                format!("'{raw}' is not a UN/LOCODE: the location part may hold only letters and digits 2-9"),
            ));
        }
        Ok(Self(compact))
    }

    /// The ISO 3166-1 alpha-2 country part.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

/// A container number per ISO 6346: owner code (3 letters), category
/// identifier (U, J or Z), 6-digit serial number and a check digit, which is
/// verified. Spaces and dashes in the written form are ignored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerNumber(String);
string_value!(ContainerNumber);

impl ContainerNumber {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "container number";
        let compact: String =
            raw.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect::<String>().to_ascii_uppercase();
        let chars: Vec<char> = compact.chars().collect();
        if chars.len() != 11 {
            return Err(ParseError::new(
                WHAT,
                format!("'{raw}' is not an ISO 6346 container number: expected 11 characters such as CSQU3054383"),
            ));
        }
        if !chars[..3].iter().all(|c| c.is_ascii_uppercase()) || !matches!(chars[3], 'U' | 'J' | 'Z') {
            return Err(ParseError::new(
                WHAT,
                format!(
                    "'{raw}' is not an ISO 6346 container number: it must start with a 3-letter owner code and U, J or Z"
                ),
            ));
        }
        if !chars[4..].iter().all(|c| c.is_ascii_digit()) {
            return Err(ParseError::new(
                WHAT,
                format!("'{raw}' is not an ISO 6346 container number: the last 7 characters must be digits"),
            ));
        }
        let expected = Self::check_digit(&chars[..10]);
        let given = chars[10].to_digit(10).unwrap_or(u32::MAX);
        if expected != given {
            return Err(ParseError::new(
                WHAT,
                format!("'{raw}' has a wrong check digit: expected {expected}, got {given}"),
            ));
        }
        Ok(Self(compact))
    }

    /// ISO 6346 check digit over owner code, category and serial number.
    /// Callers pass ten characters already known to be letters then digits.
    fn check_digit(first_ten: &[char]) -> u32 {
        let sum: u32 = first_ten.iter().enumerate().map(|(position, c)| Self::char_value(*c) << position).sum();
        (sum % 11) % 10
    }

    /// Letters count from A = 10 upwards, skipping multiples of 11.
    fn char_value(c: char) -> u32 {
        if let Some(digit) = c.to_digit(10) {
            return digit;
        }
        let mut value = 10;
        for _ in 'A'..c {
            value += 1;
            if value % 11 == 0 {
                value += 1;
            }
        }
        value
    }
}

/// An e-mail address, trimmed and lower-cased so that comparisons (share-link
/// recipients, logins by e-mail) do not depend on how it was typed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);
string_value!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "e-mail address";
        let value = raw.trim().to_lowercase();
        let invalid = || ParseError::new(WHAT, format!("'{raw}' is not a valid e-mail address"));
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || local.contains(['<', '>', ',', ';', '"', '(', ')', '[', ']', '\\'])
        {
            return Err(invalid());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(invalid());
        }
        Ok(Self(value))
    }
}

/// A tracking user's login name. Unique and case-insensitive, so it is
/// stored lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(String);
string_value!(UserId);

impl UserId {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "user id";
        let value = raw.trim().to_lowercase();
        if !(3..=64).contains(&value.chars().count()) {
            return Err(ParseError::new(WHAT, "a user id must be 3 to 64 characters long"));
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+')) {
            return Err(ParseError::new(WHAT, "a user id may hold only letters, digits and . _ - @ +"));
        }
        Ok(Self(value))
    }
}

/// A shipment reference as the forwarder's TMS writes it, e.g.
/// `SHP/202505/00080`. Kept exactly as given (after trimming): references are
/// matched case-sensitively because TMSs treat them so.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShipmentReference(String);
string_value!(ShipmentReference);

impl ShipmentReference {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "shipment reference";
        let value = raw.trim();
        if value.is_empty() || value.chars().count() > 64 {
            return Err(ParseError::new(WHAT, "a reference must be 1 to 64 characters long"));
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.')) {
            return Err(ParseError::new(WHAT, format!("'{value}' may hold only letters, digits and / - _ .")));
        }
        Ok(Self(value.to_owned()))
    }
}

/// A place: its UN/LOCODE and a human name ("Cat Lai").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub unlocode: UnLocode,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlocode_accepts_and_normalizes_the_written_forms() {
        for raw in ["VNSGN", "vnsgn", " VN SGN ", "USLGB"] {
            assert!(UnLocode::parse(raw).is_ok(), "{raw}");
        }
        assert_eq!(UnLocode::parse("vn sgn").map(|c| c.to_string()), Ok("VNSGN".to_owned()));
        assert_eq!(UnLocode::parse("USLGB").map(|c| c.country().to_owned()), Ok("US".to_owned()));
    }

    #[test]
    fn unlocode_refuses_malformed_codes() {
        for raw in ["", "VNSG", "VNSGNX", "V1SGN", "VNSG0", "VNS G1", "ÄÖSGN"] {
            assert!(UnLocode::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn container_number_verifies_the_iso_6346_check_digit() {
        assert!(ContainerNumber::parse("CSQU3054383").is_ok());
        assert!(ContainerNumber::parse("csqu 305438 3").is_ok());
        assert!(ContainerNumber::parse("MSCU1234566").is_ok());
        assert!(ContainerNumber::parse("CSQU3054384").is_err(), "wrong check digit");
        assert!(ContainerNumber::parse("CSQX3054383").is_err(), "bad category");
        assert!(ContainerNumber::parse("CSQU305438").is_err(), "too short");
        assert!(ContainerNumber::parse("C5QU3054383").is_err(), "digit in owner code");
    }

    #[test]
    fn container_check_digit_ten_maps_to_zero() {
        // Serial 000000 for owner AAA, category U gives a remainder of 10,
        // which ISO 6346 writes as 0.
        let chars: Vec<char> = "AAAU000000".chars().collect();
        let digit = ContainerNumber::check_digit(&chars);
        assert!(digit < 10);
        assert!(ContainerNumber::parse(&format!("AAAU000000{digit}")).is_ok());
    }

    #[test]
    fn email_is_lowercased_and_validated() {
        assert_eq!(Email::parse(" Ops@Saigon-Tech.VN ").map(|e| e.to_string()), Ok("ops@saigon-tech.vn".to_owned()));
        for raw in ["", "no-at-sign", "a@b", "a@@b.com", "a b@c.com", "@c.com", "a@-c.com", "a@c..com", "x<y@c.com"] {
            assert!(Email::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn user_id_is_case_insensitive() {
        assert_eq!(UserId::parse("SaigonTech.Ops"), UserId::parse("saigontech.ops"));
        assert!(UserId::parse("ab").is_err());
        assert!(UserId::parse("has space").is_err());
    }

    #[test]
    fn shipment_reference_keeps_its_form() {
        assert_eq!(
            ShipmentReference::parse(" SHP/202505/00080 ").map(|r| r.to_string()),
            Ok("SHP/202505/00080".to_owned())
        );
        assert!(ShipmentReference::parse("").is_err());
        assert!(ShipmentReference::parse("SHP 1").is_err());
        assert!(ShipmentReference::parse(&"X".repeat(65)).is_err());
    }
}
