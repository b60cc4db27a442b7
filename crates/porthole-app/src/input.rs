//! Raw input as callers send it, and its conversion into domain values.
//!
//! Every leaf is a string or number exactly as it arrived, so that each
//! refusal can name the field the caller wrote. Parsing is pure; the
//! use-cases then check what needs storage (that referenced ids exist).

use chrono::{DateTime, FixedOffset, Utc};
use porthole_domain::{
    Cargo, Charge, ChargeSide, Classifier, Container, ContainerNumber, DisplaySettings, Email, EventCode, EventType,
    Location, NotificationPreferences, OrganizationId, PeriodicReport, ReportFrequency, TrackingEvent, UnLocode,
};

use crate::error::FieldError;

type Parsed<T> = Result<T, FieldError>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationInput {
    pub code: String,
    pub name: String,
    pub portal_enabled: Option<bool>,
    pub show_charges: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub portal_enabled: Option<bool>,
    pub show_charges: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MasterInput {
    pub mbl_no: String,
    pub overseas_agent_id: Option<String>,
    pub carrier: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationInput {
    pub unlocode: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CargoInput {
    pub packages: i64,
    pub weight_kg: f64,
    pub volume_m3: f64,
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerInput {
    pub number: String,
    pub iso_type: String,
    pub seal: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChargeInput {
    pub side: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// `PUT /api/v1/shipments`: upsert by reference.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShipmentInput {
    pub reference: String,
    pub hbl_no: Option<String>,
    pub master_id: Option<String>,
    pub mode: String,
    pub status: Option<String>,
    pub customer_id: String,
    pub shipper_id: Option<String>,
    pub consignee_id: Option<String>,
    pub pol: LocationInput,
    pub pod: LocationInput,
    pub place_of_receipt: Option<LocationInput>,
    pub place_of_delivery: Option<LocationInput>,
    pub etd: Option<String>,
    pub eta: Option<String>,
    pub cargo: Option<CargoInput>,
    pub containers: Option<Vec<ContainerInput>>,
    pub customer_note: Option<String>,
    pub internal_note: Option<String>,
    pub charges: Option<Vec<ChargeInput>>,
}

/// One event of `POST /api/v1/shipments/{id}/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInput {
    pub event_id: String,
    pub event_type: String,
    pub event_code: String,
    pub classifier: String,
    pub event_time: String,
    pub recorded_at: Option<String>,
    pub location: Option<LocationInput>,
    pub container_number: Option<String>,
    pub vessel: Option<String>,
    pub voyage: Option<String>,
    pub delay_reason: Option<String>,
    pub remark: Option<String>,
    pub published: bool,
    pub retracts: Option<String>,
}

/// Trims; refuses blank or overlong text.
pub(crate) fn required_text(field: &str, raw: &str, max_chars: usize) -> Parsed<String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(field, format!("must be at most {max_chars} characters")));
    }
    refuse_control_characters(field, value)?;
    Ok(value.to_owned())
}

/// Line breaks and tabs are text; other control characters are not, and
/// PostgreSQL refuses a NUL outright.
pub(crate) fn refuse_control_characters(field: &str, value: &str) -> Parsed<()> {
    match value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        true => Err(FieldError::new(field, "must not contain control characters")),
        false => Ok(()),
    }
}

/// Trims; blank means absent.
pub(crate) fn optional_text(field: &str, raw: Option<&str>, max_chars: usize) -> Parsed<Option<String>> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => required_text(field, value, max_chars).map(Some),
    }
}

pub(crate) fn timestamp(field: &str, raw: &str) -> Parsed<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(raw.trim()).map_err(|_| {
        FieldError::new(field, format!("'{raw}' is not an RFC 3339 time with offset, e.g. 2025-05-10T08:00:00+07:00"))
    })
}

pub(crate) fn optional_timestamp(field: &str, raw: Option<&str>) -> Parsed<Option<DateTime<FixedOffset>>> {
    raw.map(|r| timestamp(field, r)).transpose()
}

impl LocationInput {
    pub(crate) fn parse(&self, field: &str) -> Parsed<Location> {
        let unlocode =
            UnLocode::parse(&self.unlocode).map_err(|e| FieldError::new(format!("{field}.unlocode"), e.reason))?;
        let name = required_text(&format!("{field}.name"), &self.name, 100)?;
        Ok(Location { unlocode, name })
    }
}

impl CargoInput {
    pub(crate) fn parse(&self) -> Parsed<Cargo> {
        let packages = u32::try_from(self.packages)
            .map_err(|_| FieldError::new("cargo.packages", "must be a whole number from 0 to 4294967295"))?;
        let positive = |field: &str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(value)
            } else {
                Err(FieldError::new(field, "must be a number of at least 0"))
            }
        };
        Ok(Cargo {
            packages,
            weight_kg: positive("cargo.weight_kg", self.weight_kg)?,
            volume_m3: positive("cargo.volume_m3", self.volume_m3)?,
            description: self.description.trim().to_owned(),
        })
    }
}

impl ContainerInput {
    pub(crate) fn parse(&self, field: &str) -> Parsed<Container> {
        let number =
            ContainerNumber::parse(&self.number).map_err(|e| FieldError::new(format!("{field}.number"), e.reason))?;
        let iso_type = self.iso_type.trim().to_ascii_uppercase();
        if iso_type.len() != 4 || !iso_type.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                format!("{field}.iso_type"),
                format!("'{}' is not an ISO 6346 size-type code such as 45G1", self.iso_type),
            ));
        }
        Ok(Container { number, iso_type, seal: optional_text(&format!("{field}.seal"), self.seal.as_deref(), 40)? })
    }
}

impl ChargeInput {
    pub(crate) fn parse(&self, field: &str) -> Parsed<Charge> {
        let side = ChargeSide::parse(self.side.trim())
            .ok_or_else(|| FieldError::new(format!("{field}.side"), "must be 'sell' or 'buy'"))?;
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(FieldError::new(format!("{field}.currency"), "must be a 3-letter ISO 4217 code such as USD"));
        }
        Ok(Charge {
            side,
            description: required_text(&format!("{field}.description"), &self.description, 200)?,
            amount_minor: self.amount_minor,
            currency,
        })
    }
}

impl EventInput {
    /// Parses the event at `index` of a batch. `received_at` stands in for
    /// `recorded_at` when the source did not say when it recorded the event.
    pub fn parse(&self, index: usize, received_at: DateTime<Utc>) -> Parsed<TrackingEvent> {
        let field = |name: &str| format!("events[{index}].{name}");
        let event_id = required_text(&field("event_id"), &self.event_id, 100)?;
        let event_type = EventType::parse(self.event_type.trim())
            .ok_or_else(|| FieldError::new(field("event_type"), "must be one of SHIPMENT, TRANSPORT, EQUIPMENT"))?;
        let code = EventCode::parse(self.event_code.trim()).ok_or_else(|| {
            FieldError::new(field("event_code"), format!("'{}' is not a known event code", self.event_code))
        })?;
        if code.event_type() != event_type {
            return Err(FieldError::new(
                field("event_code"),
                format!("{} is a {} event, not {}", code.as_str(), code.event_type().as_str(), event_type.as_str()),
            ));
        }
        let classifier = Classifier::parse(self.classifier.trim())
            .ok_or_else(|| FieldError::new(field("classifier"), "must be one of PLN, EST, ACT"))?;
        let event_time = timestamp(&field("event_time"), &self.event_time)?;
        let recorded_at = optional_timestamp(&field("recorded_at"), self.recorded_at.as_deref())?
            .map_or(received_at, |t| t.with_timezone(&Utc));
        let location = self.location.as_ref().map(|l| l.parse(&field("location"))).transpose()?;
        if event_type == EventType::Transport && location.is_none() {
            return Err(FieldError::new(field("location"), "a TRANSPORT event needs the location where it happened"));
        }
        let container_number = self
            .container_number
            .as_deref()
            .filter(|raw| !raw.trim().is_empty())
            .map(|raw| ContainerNumber::parse(raw).map_err(|e| FieldError::new(field("container_number"), e.reason)))
            .transpose()?;
        let retracts = optional_text(&field("retracts"), self.retracts.as_deref(), 100)?;
        if retracts.as_deref() == Some(event_id.as_str()) {
            return Err(FieldError::new(field("retracts"), "an event cannot retract itself"));
        }
        Ok(TrackingEvent {
            event_id,
            code,
            classifier,
            event_time,
            recorded_at,
            location,
            container_number,
            vessel: optional_text(&field("vessel"), self.vessel.as_deref(), 100)?,
            voyage: optional_text(&field("voyage"), self.voyage.as_deref(), 40)?,
            delay_reason: optional_text(&field("delay_reason"), self.delay_reason.as_deref(), 200)?,
            remark: optional_text(&field("remark"), self.remark.as_deref(), 1000)?,
            published: self.published,
            retracts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departure() -> EventInput {
        EventInput {
            event_id: "evt-1".into(),
            event_type: "TRANSPORT".into(),
            event_code: "DEPA".into(),
            classifier: "ACT".into(),
            event_time: "2025-05-10T18:00:00+07:00".into(),
            location: Some(LocationInput { unlocode: "VNSGN".into(), name: "Cat Lai".into() }),
            published: true,
            ..EventInput::default()
        }
    }

    fn field_of(input: &EventInput) -> String {
        input.parse(3, Utc::now()).map(|_| String::new()).unwrap_or_else(|e| e.field)
    }

    #[test]
    fn a_good_event_parses_and_falls_back_to_the_receive_time() {
        let now = Utc::now();
        let event = departure().parse(0, now).expect("valid event");
        assert_eq!(event.code, EventCode::Depa);
        assert_eq!(event.recorded_at, now);
        assert_eq!(event.event_time.offset().local_minus_utc(), 7 * 3600);
    }

    #[test]
    fn each_bad_field_is_named_with_its_index() {
        let cases: Vec<(EventInput, &str)> = vec![
            (EventInput { event_id: " ".into(), ..departure() }, "events[3].event_id"),
            (EventInput { event_type: "BOAT".into(), ..departure() }, "events[3].event_type"),
            (EventInput { event_code: "FLY".into(), ..departure() }, "events[3].event_code"),
            (EventInput { event_code: "LOAD".into(), ..departure() }, "events[3].event_code"),
            (EventInput { classifier: "MAYBE".into(), ..departure() }, "events[3].classifier"),
            (EventInput { event_time: "10/05/2025".into(), ..departure() }, "events[3].event_time"),
            (EventInput { recorded_at: Some("yesterday".into()), ..departure() }, "events[3].recorded_at"),
            (EventInput { location: None, ..departure() }, "events[3].location"),
            (
                EventInput { location: Some(LocationInput { unlocode: "XX".into(), name: "x".into() }), ..departure() },
                "events[3].location.unlocode",
            ),
            (EventInput { container_number: Some("CSQU3054384".into()), ..departure() }, "events[3].container_number"),
            (EventInput { retracts: Some("evt-1".into()), ..departure() }, "events[3].retracts"),
        ];
        for (input, expected) in cases {
            assert_eq!(field_of(&input), expected, "{input:?}");
        }
    }

    #[test]
    fn containers_and_charges_name_their_fields() {
        let bad_digit = ContainerInput { number: "CSQU3054384".into(), iso_type: "45G1".into(), seal: None };
        assert_eq!(bad_digit.parse("containers[1]").map_err(|e| e.field), Err("containers[1].number".to_owned()));
        let bad_type = ContainerInput { number: "CSQU3054383".into(), iso_type: "forty".into(), seal: None };
        assert_eq!(bad_type.parse("containers[0]").map_err(|e| e.field), Err("containers[0].iso_type".to_owned()));
        let bad_side =
            ChargeInput { side: "both".into(), description: "Freight".into(), amount_minor: 1, currency: "USD".into() };
        assert_eq!(bad_side.parse("charges[0]").map_err(|e| e.field), Err("charges[0].side".to_owned()));
    }
}

/// `POST /api/v1/tracking-users`, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackingUserInput {
    pub user_id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: String,
    pub additional_emails: Option<Vec<String>>,
    pub role: String,
    pub organization_ids: Vec<String>,
    pub agent_customer_ids: Option<Vec<String>>,
    pub notifications: Option<NotificationsInput>,
    pub display: Option<DisplayInput>,
    pub send_setup_email: bool,
}

/// `PATCH /api/v1/tracking-users/{id}`: each present field replaces the
/// stored one; `last_name: Some(None)` clears the last name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackingUserPatch {
    pub user_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<Option<String>>,
    pub email: Option<String>,
    pub additional_emails: Option<Vec<String>>,
    pub role: Option<String>,
    pub organization_ids: Option<Vec<String>>,
    pub agent_customer_ids: Option<Vec<String>>,
    pub notifications: Option<NotificationsInput>,
    pub display: Option<DisplayInput>,
}

/// Notification preferences; absent switches keep their current value (off
/// for a new user). `periodic_report: Some(None)` turns the report off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationsInput {
    pub journey_updated: Option<bool>,
    pub eta_changed: Option<bool>,
    pub document_status: Option<bool>,
    pub periodic_report: Option<Option<PeriodicReportInput>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodicReportInput {
    pub frequency: String,
    pub columns: Option<Vec<String>>,
}

/// Display settings; absent switches keep their current value (the SPEC
/// defaults for a new user).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisplayInput {
    pub doc_center: Option<bool>,
    pub shipper_info: Option<bool>,
    pub mbl_number: Option<bool>,
}

/// The columns a periodic report may carry, in the order they are shown.
pub const REPORT_COLUMNS: &[&str] = &["reference", "hbl_no", "status", "pol", "pod", "etd", "eta", "atd", "ata"];

impl NotificationsInput {
    /// Applies the present switches to `current`.
    pub(crate) fn apply(&self, current: &mut NotificationPreferences) -> Parsed<()> {
        if let Some(on) = self.journey_updated {
            current.journey_updated = on;
        }
        if let Some(on) = self.eta_changed {
            current.eta_changed = on;
        }
        if let Some(on) = self.document_status {
            current.document_status = on;
        }
        if let Some(report) = &self.periodic_report {
            current.periodic_report = report.as_ref().map(PeriodicReportInput::parse).transpose()?;
        }
        Ok(())
    }
}

impl PeriodicReportInput {
    fn parse(&self) -> Parsed<PeriodicReport> {
        let field = "notifications.periodic_report";
        let frequency = match self.frequency.trim() {
            "daily" => ReportFrequency::Daily,
            "weekly" => ReportFrequency::Weekly,
            _ => return Err(FieldError::new(format!("{field}.frequency"), "must be daily or weekly")),
        };
        let columns = match &self.columns {
            None => REPORT_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
            Some(columns) => {
                let mut chosen = Vec::new();
                for (i, column) in columns.iter().enumerate() {
                    let column = column.trim();
                    if !REPORT_COLUMNS.contains(&column) {
                        return Err(FieldError::new(
                            format!("{field}.columns[{i}]"),
                            format!("must be one of {}", REPORT_COLUMNS.join(", ")),
                        ));
                    }
                    if !chosen.iter().any(|c| c == column) {
                        chosen.push(column.to_owned());
                    }
                }
                if chosen.is_empty() {
                    return Err(FieldError::new(format!("{field}.columns"), "must name at least one column"));
                }
                chosen
            }
        };
        Ok(PeriodicReport { frequency, columns })
    }
}

impl DisplayInput {
    pub(crate) fn apply(&self, current: &mut DisplaySettings) {
        if let Some(on) = self.doc_center {
            current.doc_center = on;
        }
        if let Some(on) = self.shipper_info {
            current.shipper_info = on;
        }
        if let Some(on) = self.mbl_number {
            current.mbl_number = on;
        }
    }
}

pub(crate) fn email(field: &str, raw: &str) -> Parsed<Email> {
    Email::parse(raw).map_err(|e| FieldError::new(field, e.reason))
}

/// Additional e-mails: valid, not the primary, no repeats; at most 20.
pub(crate) fn additional_emails(raw: &[String], primary: &Email) -> Parsed<Vec<Email>> {
    if raw.len() > 20 {
        return Err(FieldError::new("additional_emails", "may hold at most 20 addresses"));
    }
    let mut emails: Vec<Email> = Vec::new();
    for (i, address) in raw.iter().enumerate() {
        let parsed = email(&format!("additional_emails[{i}]"), address)?;
        if parsed == *primary || emails.contains(&parsed) {
            return Err(FieldError::new(format!("additional_emails[{i}]"), "is listed twice"));
        }
        emails.push(parsed);
    }
    Ok(emails)
}

/// A list of organization ids, each non-empty, no repeats.
pub(crate) fn organization_ids(field: &str, raw: &[String]) -> Parsed<Vec<OrganizationId>> {
    let mut ids: Vec<OrganizationId> = Vec::new();
    for (i, id) in raw.iter().enumerate() {
        let id = OrganizationId::new(required_text(&format!("{field}[{i}]"), id, 100)?);
        if ids.contains(&id) {
            return Err(FieldError::new(format!("{field}[{i}]"), "is listed twice"));
        }
        ids.push(id);
    }
    Ok(ids)
}
