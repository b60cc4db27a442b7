//! The business codes the generated data carries: ISO 6346 container
//! numbers and shipment references. Written here on their own (not by
//! calling the domain's parsers) so that the tests can hold the two against
//! each other.

/// The ISO 6346 check digit of an owner code, category identifier and
/// serial number (`first_ten`, e.g. `CSQU305438`): each character's value
/// times 2^position, summed, modulo 11, with a remainder of 10 written as 0.
pub fn check_digit(first_ten: &str) -> Option<u32> {
    if first_ten.len() != 10 {
        return None;
    }
    let mut sum = 0;
    for (position, c) in first_ten.chars().enumerate() {
        sum += char_value(c)? << position;
    }
    Some((sum % 11) % 10)
}

/// Digits count as themselves; letters from A = 10 upwards, skipping 11,
/// 22 and 33 (the multiples of the modulus).
fn char_value(c: char) -> Option<u32> {
    if let Some(digit) = c.to_digit(10) {
        return Some(digit);
    }
    if !c.is_ascii_uppercase() {
        return None;
    }
    let mut value = 10;
    for _ in 'A'..c {
        value += 1;
        if value % 11 == 0 {
            value += 1;
        }
    }
    Some(value)
}

/// A container number: a 3-letter owner code, the category `U`, the
/// serial number (below 1,000,000) and its check digit.
pub fn container_number(owner: &str, serial: u32) -> String {
    let first_ten = format!("{owner}U{:06}", serial % 1_000_000);
    // Owner codes come from a fixed list of three capital letters, so the
    // digit always exists; 0 would only show in the tests' failures.
    let digit = check_digit(&first_ten).unwrap_or(0);
    format!("{first_ten}{digit}")
}

/// A forwarder's reference such as `SHP/202505/00080`: the month the
/// shipment was booked and its running number in that month (from 1).
pub fn reference(year: i32, month: u32, number: u32) -> String {
    format!("SHP/{year:04}{month:02}/{number:05}")
}

#[cfg(test)]
mod tests {
    use porthole_domain::{ContainerNumber, ShipmentReference};

    use super::*;

    #[test]
    fn check_digits_match_published_examples() {
        assert_eq!(check_digit("CSQU305438"), Some(3));
        assert_eq!(check_digit("MSCU123456"), Some(6));
        assert_eq!(check_digit("csqu305438"), None);
        assert_eq!(check_digit("CSQU30543"), None);
    }

    #[test]
    fn every_generated_container_number_is_valid_iso_6346() {
        for owner in ["MSK", "MSC", "CSQ", "TGH", "CMA", "HLX", "OOL", "ZZZ", "AAA"] {
            for serial in (0..1_000_000).step_by(7_919).chain([0, 999_999]) {
                let number = container_number(owner, serial);
                let parsed = ContainerNumber::parse(&number);
                assert_eq!(parsed.as_ref().map(ContainerNumber::as_str), Ok(number.as_str()), "{number}");
            }
        }
    }

    #[test]
    fn a_wrong_check_digit_is_refused_by_the_domain() {
        let number = container_number("MSK", 123_456);
        let (head, digit) = number.split_at(10);
        let wrong = (digit.parse::<u32>().expect("a digit") + 1) % 10;
        assert!(ContainerNumber::parse(&format!("{head}{wrong}")).is_err());
    }

    #[test]
    fn references_have_the_forwarders_format_and_parse() {
        assert_eq!(reference(2025, 5, 80), "SHP/202505/00080");
        assert_eq!(reference(2024, 12, 99_999), "SHP/202412/99999");
        let text = reference(2026, 1, 1);
        assert_eq!(ShipmentReference::parse(&text).map(|r| r.to_string()), Ok(text));
    }

    #[test]
    fn references_sort_like_the_booking_order() {
        let ordered = [reference(2024, 1, 1), reference(2024, 1, 2), reference(2024, 1, 10), reference(2024, 2, 1)];
        assert!(ordered.windows(2).all(|pair| pair[0] < pair[1]), "{ordered:?}");
    }
}
