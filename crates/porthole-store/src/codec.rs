//! Conversions between rows and domain values.
//!
//! Times are RFC 3339 text. Instants that carry a place's offset keep it
//! exactly as given; UTC instants are written at a fixed width (nanoseconds,
//! `Z`) so that comparing the text compares the times. Nested values are
//! JSON through the private `*Json` types below, so the stored shape is
//! owned here and never follows a domain type's layout by accident.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use porthole_app::ports::{
    ApiKey, LinkAccess, LinkAccessEntry, LinkMailToken, LinkMailTokenPurpose, LinkSession, LoginToken, MailCause,
    MailContent, MailRecipient, NewOutboxMail, OutboxMail, OutboxStatus, PendingCause, PortalSession, StoredShareLink,
    UnsubscribeToken, VerificationCode,
};
use porthole_app::secret::SecretDigest;
use porthole_domain::party::{NotificationCategory, PeriodicReport, ReportFrequency};
use porthole_domain::projection::{Dates, ShipmentSummary};
use porthole_domain::{
    Cargo, Charge, ChargeSide, Classifier, CodeState, Container, ContainerNumber, DisplaySettings, Document, Email,
    EventCode, Location, Master, MasterId, Mode, NotificationPreferences, Organization, OrganizationId, ShareLink,
    ShareLinkId, ShareRecipient, ShareSections, Shipment, ShipmentAudience, ShipmentId, ShipmentNotice,
    ShipmentReference, StaffRole, Status, TrackingEvent, TrackingRole, TrackingUser, TrackingUserId, TransportLeg,
    UnLocode, UserId, UserState, ViewerChange, ViewerDates,
};
use sea_orm::FromQueryResult;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::entity::{
    api_key, link_access_entry, link_session, link_verification_code, login_token, master, organization, outbox_cause,
    outbox_mail, portal_session, share_link, share_link_mail_token, share_link_recipient, shipment, shipment_container,
    tracking_event, tracking_user, unsubscribe_token,
};
use crate::error::Corrupt;

type Decoded<T> = Result<T, Corrupt>;

pub fn offset_time_text(time: &DateTime<FixedOffset>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

pub fn utc_text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn offset_time(column: &str, text: &str) -> Decoded<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).map_err(|e| Corrupt::new(column, format!("'{text}' is not RFC 3339: {e}")))
}

fn optional_offset_time(column: &str, text: Option<&str>) -> Decoded<Option<DateTime<FixedOffset>>> {
    text.map(|t| offset_time(column, t)).transpose()
}

fn utc_time(column: &str, text: &str) -> Decoded<DateTime<Utc>> {
    offset_time(column, text).map(|t| t.with_timezone(&Utc))
}

fn optional_utc_time(column: &str, text: Option<&str>) -> Decoded<Option<DateTime<Utc>>> {
    text.map(|t| utc_time(column, t)).transpose()
}

fn to_json<T: Serialize>(value: &T) -> String {
    // The `*Json` types (and the domain's serde types they hold) are made of
    // strings, numbers, booleans, times, lists and structs with string keys,
    // for which serde_json cannot fail; the fallback keeps this panic-free.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Decoded<T> {
    serde_json::from_str(text).map_err(|e| Corrupt::new(column, format!("invalid JSON: {e}")))
}

fn unlocode(column: &str, text: &str) -> Decoded<UnLocode> {
    UnLocode::parse(text).map_err(|e| Corrupt::new(column, e.reason))
}

fn location(column: &str, code: &str, name: &str) -> Decoded<Location> {
    Ok(Location { unlocode: unlocode(column, code)?, name: name.to_owned() })
}

fn optional_location(column: &str, code: Option<&str>, name: Option<&str>) -> Decoded<Option<Location>> {
    match (code, name) {
        (Some(code), Some(name)) => location(column, code, name).map(Some),
        (None, None) => Ok(None),
        _ => Err(Corrupt::new(column, "has a code without a name or a name without a code")),
    }
}

fn parsed<T>(column: &str, text: &str, parse: impl FnOnce(&str) -> Option<T>) -> Decoded<T> {
    parse(text).ok_or_else(|| Corrupt::new(column, format!("unknown value '{text}'")))
}

// ---- Organizations and masters ------------------------------------------

pub fn organization_row(org: &Organization) -> organization::Model {
    organization::Model {
        id: org.id.as_str().to_owned(),
        code: org.code.clone(),
        name: org.name.clone(),
        portal_enabled: org.portal_enabled,
        show_charges: org.show_charges,
    }
}

pub(crate) fn organization_of(row: organization::Model) -> Organization {
    Organization {
        id: OrganizationId::new(row.id),
        code: row.code,
        name: row.name,
        portal_enabled: row.portal_enabled,
        show_charges: row.show_charges,
    }
}

pub fn master_row(master: &Master) -> master::Model {
    master::Model {
        id: master.id.as_str().to_owned(),
        mbl_no: master.mbl_no.clone(),
        carrier: master.carrier.clone(),
        vessel: master.vessel.clone(),
        voyage: master.voyage.clone(),
        overseas_agent_id: master.overseas_agent_id.as_ref().map(|id| id.as_str().to_owned()),
    }
}

pub(crate) fn master_of(row: master::Model) -> Master {
    Master {
        id: MasterId::new(row.id),
        mbl_no: row.mbl_no,
        carrier: row.carrier,
        vessel: row.vessel,
        voyage: row.voyage,
        overseas_agent_id: row.overseas_agent_id.map(OrganizationId::new),
    }
}

// ---- Shipments ------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct CargoJson {
    packages: u32,
    weight_kg: f64,
    volume_m3: f64,
    description: String,
}

#[derive(Serialize, Deserialize)]
struct LocationJson {
    unlocode: String,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct LegJson {
    sequence: u32,
    mode: String,
    from: LocationJson,
    to: LocationJson,
    vessel: Option<String>,
    voyage: Option<String>,
    etd: Option<String>,
    eta: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ChargeJson {
    side: String,
    description: String,
    amount_minor: i64,
    currency: String,
}

#[derive(Serialize, Deserialize)]
struct DocumentJson {
    id: String,
    name: String,
    kind: String,
    published: bool,
}

fn location_json(location: &Location) -> LocationJson {
    LocationJson { unlocode: location.unlocode.as_str().to_owned(), name: location.name.clone() }
}

fn location_of_json(column: &str, json: LocationJson) -> Decoded<Location> {
    location(column, &json.unlocode, &json.name)
}

/// The shipment's columns, except `created_at` and the `published_*`
/// columns, which belong to the store rather than to the shipment.
pub(crate) struct ShipmentColumns {
    pub reference: String,
    pub hbl_no: Option<String>,
    pub master_id: Option<String>,
    pub mode: String,
    pub status: String,
    pub customer_id: String,
    pub shipper_id: Option<String>,
    pub consignee_id: Option<String>,
    pub pol: (String, String),
    pub pod: (String, String),
    pub place_of_receipt: (Option<String>, Option<String>),
    pub place_of_delivery: (Option<String>, Option<String>),
    pub planned_etd: Option<String>,
    pub planned_eta: Option<String>,
    pub cargo: Option<String>,
    pub legs: String,
    pub customer_note: Option<String>,
    pub internal_note: Option<String>,
    pub charges: String,
    pub documents: String,
}

fn location_pair(location: &Location) -> (String, String) {
    (location.unlocode.as_str().to_owned(), location.name.clone())
}

fn optional_location_pair(location: Option<&Location>) -> (Option<String>, Option<String>) {
    location.map_or((None, None), |l| (Some(l.unlocode.as_str().to_owned()), Some(l.name.clone())))
}

pub(crate) fn shipment_columns(shipment: &Shipment) -> ShipmentColumns {
    let legs: Vec<LegJson> = shipment
        .legs
        .iter()
        .map(|leg| LegJson {
            sequence: leg.sequence,
            mode: leg.mode.as_str().to_owned(),
            from: location_json(&leg.from),
            to: location_json(&leg.to),
            vessel: leg.vessel.clone(),
            voyage: leg.voyage.clone(),
            etd: leg.etd.as_ref().map(offset_time_text),
            eta: leg.eta.as_ref().map(offset_time_text),
        })
        .collect();
    let charges: Vec<ChargeJson> = shipment
        .charges
        .iter()
        .map(|c| ChargeJson {
            side: c.side.as_str().to_owned(),
            description: c.description.clone(),
            amount_minor: c.amount_minor,
            currency: c.currency.clone(),
        })
        .collect();
    let documents: Vec<DocumentJson> = shipment
        .documents
        .iter()
        .map(|d| DocumentJson { id: d.id.clone(), name: d.name.clone(), kind: d.kind.clone(), published: d.published })
        .collect();
    ShipmentColumns {
        reference: shipment.reference.as_str().to_owned(),
        hbl_no: shipment.hbl_no.clone(),
        master_id: shipment.master_id.as_ref().map(|id| id.as_str().to_owned()),
        mode: shipment.mode.as_str().to_owned(),
        status: shipment.status.as_str().to_owned(),
        customer_id: shipment.customer_id.as_str().to_owned(),
        shipper_id: shipment.shipper_id.as_ref().map(|id| id.as_str().to_owned()),
        consignee_id: shipment.consignee_id.as_ref().map(|id| id.as_str().to_owned()),
        pol: location_pair(&shipment.pol),
        pod: location_pair(&shipment.pod),
        place_of_receipt: optional_location_pair(shipment.place_of_receipt.as_ref()),
        place_of_delivery: optional_location_pair(shipment.place_of_delivery.as_ref()),
        planned_etd: shipment.planned_etd.as_ref().map(offset_time_text),
        planned_eta: shipment.planned_eta.as_ref().map(offset_time_text),
        cargo: shipment.cargo.as_ref().map(|c| {
            to_json(&CargoJson {
                packages: c.packages,
                weight_kg: c.weight_kg,
                volume_m3: c.volume_m3,
                description: c.description.clone(),
            })
        }),
        legs: to_json(&legs),
        customer_note: shipment.customer_note.clone(),
        internal_note: shipment.internal_note.clone(),
        charges: to_json(&charges),
        documents: to_json(&documents),
    }
}

pub fn container_rows(shipment_id: &str, containers: &[Container]) -> Vec<shipment_container::Model> {
    containers
        .iter()
        .zip(0_i32..)
        .map(|(c, position)| shipment_container::Model {
            shipment_id: shipment_id.to_owned(),
            position,
            number: c.number.as_str().to_owned(),
            iso_type: c.iso_type.clone(),
            seal: c.seal.clone(),
        })
        .collect()
}

fn container_of(row: shipment_container::Model) -> Decoded<Container> {
    Ok(Container {
        number: ContainerNumber::parse(&row.number)
            .map_err(|e| Corrupt::new("shipment_containers.number", e.reason))?,
        iso_type: row.iso_type,
        seal: row.seal,
    })
}

/// `containers` must be this shipment's, in position order.
pub(crate) fn shipment_of(row: shipment::Model, containers: Vec<shipment_container::Model>) -> Decoded<Shipment> {
    let legs: Vec<LegJson> = from_json("shipments.legs", &row.legs)?;
    let charges: Vec<ChargeJson> = from_json("shipments.charges", &row.charges)?;
    let documents: Vec<DocumentJson> = from_json("shipments.documents", &row.documents)?;
    let cargo: Option<CargoJson> = row.cargo.as_deref().map(|text| from_json("shipments.cargo", text)).transpose()?;
    Ok(Shipment {
        id: ShipmentId::new(row.id),
        reference: ShipmentReference::parse(&row.reference)
            .map_err(|e| Corrupt::new("shipments.reference", e.reason))?,
        hbl_no: row.hbl_no,
        master_id: row.master_id.map(MasterId::new),
        mode: parsed("shipments.mode", &row.mode, Mode::parse)?,
        status: parsed("shipments.status", &row.status, Status::parse)?,
        customer_id: OrganizationId::new(row.customer_id),
        shipper_id: row.shipper_id.map(OrganizationId::new),
        consignee_id: row.consignee_id.map(OrganizationId::new),
        pol: location("shipments.pol", &row.pol_unlocode, &row.pol_name)?,
        pod: location("shipments.pod", &row.pod_unlocode, &row.pod_name)?,
        place_of_receipt: optional_location(
            "shipments.place_of_receipt",
            row.place_of_receipt_unlocode.as_deref(),
            row.place_of_receipt_name.as_deref(),
        )?,
        place_of_delivery: optional_location(
            "shipments.place_of_delivery",
            row.place_of_delivery_unlocode.as_deref(),
            row.place_of_delivery_name.as_deref(),
        )?,
        planned_etd: optional_offset_time("shipments.planned_etd", row.planned_etd.as_deref())?,
        planned_eta: optional_offset_time("shipments.planned_eta", row.planned_eta.as_deref())?,
        cargo: cargo.map(|c| Cargo {
            packages: c.packages,
            weight_kg: c.weight_kg,
            volume_m3: c.volume_m3,
            description: c.description,
        }),
        containers: containers.into_iter().map(container_of).collect::<Decoded<_>>()?,
        legs: legs
            .into_iter()
            .map(|leg| {
                Ok(TransportLeg {
                    sequence: leg.sequence,
                    mode: parsed("shipments.legs.mode", &leg.mode, Mode::parse)?,
                    from: location_of_json("shipments.legs.from", leg.from)?,
                    to: location_of_json("shipments.legs.to", leg.to)?,
                    vessel: leg.vessel,
                    voyage: leg.voyage,
                    etd: optional_offset_time("shipments.legs.etd", leg.etd.as_deref())?,
                    eta: optional_offset_time("shipments.legs.eta", leg.eta.as_deref())?,
                })
            })
            .collect::<Decoded<_>>()?,
        customer_note: row.customer_note,
        internal_note: row.internal_note,
        charges: charges
            .into_iter()
            .map(|c| {
                Ok(Charge {
                    side: parsed("shipments.charges.side", &c.side, ChargeSide::parse)?,
                    description: c.description,
                    amount_minor: c.amount_minor,
                    currency: c.currency,
                })
            })
            .collect::<Decoded<_>>()?,
        documents: documents
            .into_iter()
            .map(|d| Document { id: d.id, name: d.name, kind: d.kind, published: d.published })
            .collect(),
    })
}

// ---- Events ---------------------------------------------------------------

pub(crate) fn event_row(shipment_id: &str, event: &TrackingEvent, received_at: &str) -> tracking_event::ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    tracking_event::ActiveModel {
        id: NotSet,
        shipment_id: Set(shipment_id.to_owned()),
        event_id: Set(event.event_id.clone()),
        code: Set(event.code.as_str().to_owned()),
        classifier: Set(event.classifier.as_str().to_owned()),
        event_time: Set(offset_time_text(&event.event_time)),
        recorded_at: Set(utc_text(&event.recorded_at)),
        location_unlocode: Set(event.location.as_ref().map(|l| l.unlocode.as_str().to_owned())),
        location_name: Set(event.location.as_ref().map(|l| l.name.clone())),
        container_number: Set(event.container_number.as_ref().map(|c| c.as_str().to_owned())),
        vessel: Set(event.vessel.clone()),
        voyage: Set(event.voyage.clone()),
        delay_reason: Set(event.delay_reason.clone()),
        remark: Set(event.remark.clone()),
        published: Set(event.published),
        retracts: Set(event.retracts.clone()),
        received_at: Set(received_at.to_owned()),
    }
}

pub(crate) fn event_of(row: tracking_event::Model) -> Decoded<TrackingEvent> {
    Ok(TrackingEvent {
        code: parsed("tracking_events.code", &row.code, EventCode::parse)?,
        classifier: parsed("tracking_events.classifier", &row.classifier, Classifier::parse)?,
        event_time: offset_time("tracking_events.event_time", &row.event_time)?,
        recorded_at: utc_time("tracking_events.recorded_at", &row.recorded_at)?,
        location: optional_location(
            "tracking_events.location",
            row.location_unlocode.as_deref(),
            row.location_name.as_deref(),
        )?,
        container_number: row
            .container_number
            .as_deref()
            .map(ContainerNumber::parse)
            .transpose()
            .map_err(|e| Corrupt::new("tracking_events.container_number", e.reason))?,
        event_id: row.event_id,
        vessel: row.vessel,
        voyage: row.voyage,
        delay_reason: row.delay_reason,
        remark: row.remark,
        published: row.published,
        retracts: row.retracts,
    })
}

// ---- Tracking users -------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct PeriodicReportJson {
    frequency: String,
    columns: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct NotificationsJson {
    journey_updated: bool,
    eta_changed: bool,
    document_status: bool,
    periodic_report: Option<PeriodicReportJson>,
}

#[derive(Serialize, Deserialize)]
struct DisplayJson {
    doc_center: bool,
    shipper_info: bool,
    mbl_number: bool,
}

fn frequency_text(frequency: ReportFrequency) -> &'static str {
    match frequency {
        ReportFrequency::Daily => "daily",
        ReportFrequency::Weekly => "weekly",
    }
}

fn frequency_of(text: &str) -> Option<ReportFrequency> {
    match text {
        "daily" => Some(ReportFrequency::Daily),
        "weekly" => Some(ReportFrequency::Weekly),
        _ => None,
    }
}

/// The stored form of a user's notification preferences.
pub(crate) fn notifications_text(preferences: &NotificationPreferences) -> String {
    let notifications = NotificationsJson {
        journey_updated: preferences.journey_updated,
        eta_changed: preferences.eta_changed,
        document_status: preferences.document_status,
        periodic_report: preferences.periodic_report.as_ref().map(|r| PeriodicReportJson {
            frequency: frequency_text(r.frequency).to_owned(),
            columns: r.columns.clone(),
        }),
    };
    to_json(&notifications)
}

pub fn tracking_user_row(user: &TrackingUser, created_at: &str) -> tracking_user::Model {
    let additional: Vec<&str> = user.additional_emails.iter().map(Email::as_str).collect();
    let display = DisplayJson {
        doc_center: user.display.doc_center,
        shipper_info: user.display.shipper_info,
        mbl_number: user.display.mbl_number,
    };
    tracking_user::Model {
        id: user.id.as_str().to_owned(),
        user_id: user.user_id.as_str().to_owned(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        email: user.email.as_str().to_owned(),
        additional_emails: to_json(&additional),
        role: user.role.as_str().to_owned(),
        notifications: notifications_text(&user.notifications),
        display: to_json(&display),
        state: user.state.as_str().to_owned(),
        password_hash: None,
        created_at: created_at.to_owned(),
    }
}

fn email(column: &str, text: &str) -> Decoded<Email> {
    Email::parse(text).map_err(|e| Corrupt::new(column, e.reason))
}

pub(crate) fn tracking_user_of(
    row: tracking_user::Model,
    organization_ids: BTreeSet<OrganizationId>,
    agent_customer_ids: BTreeSet<OrganizationId>,
) -> Decoded<TrackingUser> {
    let additional: Vec<String> = from_json("tracking_users.additional_emails", &row.additional_emails)?;
    let notifications: NotificationsJson = from_json("tracking_users.notifications", &row.notifications)?;
    let display: DisplayJson = from_json("tracking_users.display", &row.display)?;
    let periodic_report = notifications
        .periodic_report
        .map(|r| {
            Ok::<_, Corrupt>(PeriodicReport {
                frequency: parsed("tracking_users.notifications.frequency", &r.frequency, frequency_of)?,
                columns: r.columns,
            })
        })
        .transpose()?;
    Ok(TrackingUser {
        id: TrackingUserId::new(row.id),
        user_id: UserId::parse(&row.user_id).map_err(|e| Corrupt::new("tracking_users.user_id", e.reason))?,
        first_name: row.first_name,
        last_name: row.last_name,
        email: email("tracking_users.email", &row.email)?,
        additional_emails: additional
            .iter()
            .map(|text| email("tracking_users.additional_emails", text))
            .collect::<Decoded<_>>()?,
        role: parsed("tracking_users.role", &row.role, TrackingRole::parse)?,
        organization_ids,
        agent_customer_ids,
        notifications: NotificationPreferences {
            journey_updated: notifications.journey_updated,
            eta_changed: notifications.eta_changed,
            document_status: notifications.document_status,
            periodic_report,
        },
        display: DisplaySettings {
            doc_center: display.doc_center,
            shipper_info: display.shipper_info,
            mbl_number: display.mbl_number,
        },
        state: parsed("tracking_users.state", &row.state, UserState::parse)?,
    })
}

// ---- Shipment summaries ---------------------------------------------------

/// The columns of a shipment (and its master's agent) that a
/// [`ShipmentSummary`] is made of; field names are the selected aliases.
#[derive(Debug, FromQueryResult, Deserialize)]
pub(crate) struct SummaryRow {
    pub id: String,
    pub reference: String,
    pub hbl_no: Option<String>,
    pub customer_id: String,
    pub shipper_id: Option<String>,
    pub consignee_id: Option<String>,
    pub overseas_agent_id: Option<String>,
    pub pol_unlocode: String,
    pub pol_name: String,
    pub pod_unlocode: String,
    pub pod_name: String,
    pub published_status: String,
    pub published_etd: Option<String>,
    pub published_eta: Option<String>,
    pub published_atd: Option<String>,
    pub published_ata: Option<String>,
}

pub(crate) fn summary_of(row: SummaryRow) -> Decoded<ShipmentSummary> {
    Ok(ShipmentSummary {
        // As the domain's projections show it: blank when there is none.
        hbl_no: row.hbl_no.clone().unwrap_or_default(),
        reference: ShipmentReference::parse(&row.reference)
            .map_err(|e| Corrupt::new("shipments.reference", e.reason))?,
        pol: location("shipments.pol", &row.pol_unlocode, &row.pol_name)?,
        pod: location("shipments.pod", &row.pod_unlocode, &row.pod_name)?,
        dates: Dates {
            etd: optional_offset_time("shipments.published_etd", row.published_etd.as_deref())?,
            eta: optional_offset_time("shipments.published_eta", row.published_eta.as_deref())?,
            atd: optional_offset_time("shipments.published_atd", row.published_atd.as_deref())?,
            ata: optional_offset_time("shipments.published_ata", row.published_ata.as_deref())?,
        },
        audience: ShipmentAudience {
            status: parsed("shipments.published_status", &row.published_status, Status::parse)?,
            // The domain's own definition (`projection::audience_of`).
            has_hbl: row.hbl_no.as_deref().is_some_and(|hbl| !hbl.trim().is_empty()),
            customer_id: OrganizationId::new(row.customer_id),
            shipper_id: row.shipper_id.map(OrganizationId::new),
            consignee_id: row.consignee_id.map(OrganizationId::new),
            overseas_agent_id: row.overseas_agent_id.map(OrganizationId::new),
        },
        id: ShipmentId::new(row.id),
    })
}

// ---- Tokens and sessions --------------------------------------------------

pub(crate) fn login_token_row(token: &LoginToken) -> login_token::Model {
    login_token::Model {
        digest: token.digest.as_str().to_owned(),
        tracking_user_id: token.tracking_user_id.as_str().to_owned(),
        purpose: token.purpose.as_str().to_owned(),
        created_at: utc_text(&token.created_at),
        expires_at: utc_text(&token.expires_at),
        used_at: None,
    }
}

pub(crate) fn portal_session_row(session: &PortalSession) -> portal_session::Model {
    portal_session::Model {
        digest: session.digest.as_str().to_owned(),
        tracking_user_id: session.tracking_user_id.as_str().to_owned(),
        created_at: utc_text(&session.created_at),
        expires_at: utc_text(&session.expires_at),
    }
}

pub(crate) fn portal_session_of(row: portal_session::Model) -> Decoded<PortalSession> {
    Ok(PortalSession {
        created_at: utc_time("portal_sessions.created_at", &row.created_at)?,
        expires_at: utc_time("portal_sessions.expires_at", &row.expires_at)?,
        digest: SecretDigest::from_stored(row.digest),
        tracking_user_id: TrackingUserId::new(row.tracking_user_id),
    })
}

pub(crate) fn unsubscribe_token_row(token: &UnsubscribeToken) -> unsubscribe_token::Model {
    unsubscribe_token::Model {
        digest: token.digest.as_str().to_owned(),
        tracking_user_id: token.tracking_user_id.as_str().to_owned(),
        category: token.category.as_str().to_owned(),
        created_at: utc_text(&token.created_at),
    }
}

pub(crate) fn unsubscribe_token_of(row: unsubscribe_token::Model) -> Decoded<UnsubscribeToken> {
    Ok(UnsubscribeToken {
        category: NotificationCategory::parse(&row.category).ok_or_else(|| {
            Corrupt::new("unsubscribe_tokens.category", format!("unknown category '{}'", row.category))
        })?,
        created_at: utc_time("unsubscribe_tokens.created_at", &row.created_at)?,
        digest: SecretDigest::from_stored(row.digest),
        tracking_user_id: TrackingUserId::new(row.tracking_user_id),
    })
}

// ---- Share links ----------------------------------------------------------

/// A link's own row and its recipients' rows, in the order staff gave.
pub fn share_link_rows(
    link: &ShareLink,
    token: &SecretDigest,
) -> (share_link::Model, Vec<share_link_recipient::Model>) {
    let id = link.id.as_str();
    let row = share_link::Model {
        id: id.to_owned(),
        shipment_id: link.shipment_id.as_str().to_owned(),
        token_digest: token.as_str().to_owned(),
        require_verification: link.require_verification,
        expires_at: link.expires_at.as_ref().map(utc_text),
        expire_on_delivery: link.expire_on_delivery,
        section_containers: link.sections.containers,
        section_cargo: link.sections.cargo,
        section_documents: link.sections.documents,
        created_at: utc_text(&link.created_at),
        revoked_at: link.revoked_at.as_ref().map(utc_text),
    };
    let recipients = link
        .recipients
        .iter()
        .zip(0_i32..)
        .map(|(recipient, position)| share_link_recipient::Model {
            link_id: id.to_owned(),
            position,
            email: recipient.email.as_str().to_owned(),
            receives_updates: recipient.receives_updates,
        })
        .collect();
    (row, recipients)
}

/// A link's columns plus its shipment's `published_done_at`, aliased
/// `delivered_at`.
#[derive(Debug, FromQueryResult, Deserialize)]
pub(crate) struct ShareLinkRow {
    pub id: String,
    pub shipment_id: String,
    pub require_verification: bool,
    pub expires_at: Option<String>,
    pub expire_on_delivery: bool,
    pub section_containers: bool,
    pub section_cargo: bool,
    pub section_documents: bool,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub delivered_at: Option<String>,
}

/// `recipients` must be this link's, in position order.
pub(crate) fn stored_share_link_of(
    row: ShareLinkRow,
    recipients: Vec<share_link_recipient::Model>,
) -> Decoded<StoredShareLink> {
    let recipients = recipients
        .into_iter()
        .map(|r| {
            Ok(ShareRecipient {
                email: email("share_link_recipients.email", &r.email)?,
                receives_updates: r.receives_updates,
            })
        })
        .collect::<Decoded<_>>()?;
    Ok(StoredShareLink {
        link: ShareLink {
            recipients,
            require_verification: row.require_verification,
            expires_at: optional_utc_time("share_links.expires_at", row.expires_at.as_deref())?,
            expire_on_delivery: row.expire_on_delivery,
            sections: ShareSections {
                containers: row.section_containers,
                cargo: row.section_cargo,
                documents: row.section_documents,
            },
            created_at: utc_time("share_links.created_at", &row.created_at)?,
            revoked_at: optional_utc_time("share_links.revoked_at", row.revoked_at.as_deref())?,
            id: ShareLinkId::new(row.id),
            shipment_id: ShipmentId::new(row.shipment_id),
        },
        delivered_at: optional_utc_time("shipments.published_done_at", row.delivered_at.as_deref())?,
    })
}

pub(crate) fn link_session_row(session: &LinkSession) -> link_session::Model {
    link_session::Model {
        digest: session.digest.as_str().to_owned(),
        link_id: session.link_id.as_str().to_owned(),
        email: session.email.as_ref().map(|e| e.as_str().to_owned()),
        created_at: utc_text(&session.created_at),
        expires_at: utc_text(&session.expires_at),
    }
}

pub(crate) fn link_session_of(row: link_session::Model) -> Decoded<LinkSession> {
    Ok(LinkSession {
        email: row.email.as_deref().map(|text| email("link_sessions.email", text)).transpose()?,
        created_at: utc_time("link_sessions.created_at", &row.created_at)?,
        expires_at: utc_time("link_sessions.expires_at", &row.expires_at)?,
        digest: SecretDigest::from_stored(row.digest),
        link_id: ShareLinkId::new(row.link_id),
    })
}

/// A code just sent: no failed attempt, not used.
pub(crate) fn verification_code_row(code: &VerificationCode) -> link_verification_code::Model {
    link_verification_code::Model {
        digest: code.digest.as_str().to_owned(),
        link_id: code.link_id.as_str().to_owned(),
        email: code.email.as_str().to_owned(),
        sent_at: utc_text(&code.sent_at),
        attempts: 0,
        used_at: None,
    }
}

pub(crate) fn verification_code_of(row: link_verification_code::Model) -> Decoded<(VerificationCode, CodeState)> {
    let sent_at = utc_time("link_verification_codes.sent_at", &row.sent_at)?;
    let attempts =
        u32::try_from(row.attempts).map_err(|_| Corrupt::new("link_verification_codes.attempts", "is negative"))?;
    let code = VerificationCode {
        link_id: ShareLinkId::new(row.link_id),
        email: email("link_verification_codes.email", &row.email)?,
        digest: SecretDigest::from_stored(row.digest),
        sent_at,
    };
    Ok((code, CodeState { sent_at, attempts, used: row.used_at.is_some() }))
}

pub(crate) fn access_entry_row(link_id: &ShareLinkId, entry: &LinkAccessEntry) -> link_access_entry::ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    link_access_entry::ActiveModel {
        id: NotSet,
        link_id: Set(link_id.as_str().to_owned()),
        at: Set(utc_text(&entry.at)),
        access: Set(entry.access.as_str().to_owned()),
        email: Set(entry.email.as_ref().map(|e| e.as_str().to_owned())),
        client_address: Set(entry.client_address.clone()),
    }
}

pub(crate) fn access_entry_of(row: link_access_entry::Model) -> Decoded<LinkAccessEntry> {
    Ok(LinkAccessEntry {
        at: utc_time("link_access_log.at", &row.at)?,
        access: parsed("link_access_log.access", &row.access, LinkAccess::parse)?,
        email: row.email.as_deref().map(|text| email("link_access_log.email", text)).transpose()?,
        client_address: row.client_address,
    })
}

pub(crate) fn link_mail_token_row(token: &LinkMailToken) -> share_link_mail_token::Model {
    share_link_mail_token::Model {
        digest: token.digest.as_str().to_owned(),
        link_id: token.link_id.as_str().to_owned(),
        email: token.email.as_str().to_owned(),
        purpose: token.purpose.as_str().to_owned(),
        created_at: utc_text(&token.created_at),
    }
}

pub(crate) fn link_mail_token_of(row: share_link_mail_token::Model) -> Decoded<LinkMailToken> {
    Ok(LinkMailToken {
        email: email("share_link_mail_tokens.email", &row.email)?,
        purpose: parsed("share_link_mail_tokens.purpose", &row.purpose, LinkMailTokenPurpose::parse)?,
        created_at: utc_time("share_link_mail_tokens.created_at", &row.created_at)?,
        digest: SecretDigest::from_stored(row.digest),
        link_id: ShareLinkId::new(row.link_id),
    })
}

// ---- Viewer dates ---------------------------------------------------------

/// A shipment's id and `published_*` columns: what viewers see between
/// changes.
#[derive(Debug, FromQueryResult)]
pub(crate) struct PublishedRow {
    pub id: String,
    pub published_status: String,
    pub published_etd: Option<String>,
    pub published_eta: Option<String>,
    pub published_atd: Option<String>,
    pub published_ata: Option<String>,
}

pub(crate) fn viewer_dates_of(row: &PublishedRow) -> Decoded<ViewerDates> {
    Ok(ViewerDates {
        status: parsed("shipments.published_status", &row.published_status, Status::parse)?,
        etd: optional_offset_time("shipments.published_etd", row.published_etd.as_deref())?,
        atd: optional_offset_time("shipments.published_atd", row.published_atd.as_deref())?,
        eta: optional_offset_time("shipments.published_eta", row.published_eta.as_deref())?,
        ata: optional_offset_time("shipments.published_ata", row.published_ata.as_deref())?,
    })
}

// ---- The mail outbox ------------------------------------------------------
//
// A cause's kind is its own column; `detail` holds the rest, in the shape
// of the kind's `*Json` type. The shipment of a change is a column of its
// own (so the changes of one shipment can be found and go with it), not
// part of `detail`. A mail's recipient is columns too; `content` holds what
// it says, in the shape of its kind's `*Json` type.

const SHIPMENT_CHANGED: &str = MailCause::SHIPMENT_CHANGED;
const PASSWORD_SETUP: &str = "password_setup";
const LINK_SHARED: &str = "link_shared";
const PERIODIC_REPORT: &str = "periodic_report";
const SHIPMENT_UPDATE: &str = "shipment_update";

#[derive(Serialize, Deserialize)]
struct ShipmentChangedJson {
    change: ViewerChange,
}

#[derive(Serialize, Deserialize)]
struct PasswordSetupJson {
    tracking_user_id: String,
}

#[derive(Serialize, Deserialize)]
struct LinkSharedJson {
    link_id: String,
}

#[derive(Serialize, Deserialize)]
struct ReportJson {
    frequency: String,
    slot: String,
}

#[derive(Serialize, Deserialize)]
struct ShipmentUpdateJson {
    shipment_id: String,
    notices: Vec<ShipmentNotice>,
}

/// The content of a mail whose kind says it all.
#[derive(Serialize, Deserialize)]
struct NoDetailJson {}

fn report_json(frequency: ReportFrequency, slot: &DateTime<Utc>) -> ReportJson {
    ReportJson { frequency: frequency.as_str().to_owned(), slot: utc_text(slot) }
}

fn report_of(column: &str, json: &ReportJson) -> Decoded<(ReportFrequency, DateTime<Utc>)> {
    Ok((parsed(column, &json.frequency, ReportFrequency::parse)?, utc_time(column, &json.slot)?))
}

/// A new cause's row: not dispatched.
pub(crate) fn cause_row(cause: &MailCause, key: Option<String>, created_at: &str) -> outbox_cause::ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    let (shipment_id, detail) = match cause {
        MailCause::ShipmentChanged { shipment_id, change } => {
            (Some(shipment_id.as_str().to_owned()), to_json(&ShipmentChangedJson { change: change.clone() }))
        }
        MailCause::PasswordSetup { tracking_user_id } => {
            (None, to_json(&PasswordSetupJson { tracking_user_id: tracking_user_id.as_str().to_owned() }))
        }
        MailCause::LinkShared { link_id } => (None, to_json(&LinkSharedJson { link_id: link_id.as_str().to_owned() })),
        MailCause::PeriodicReport { frequency, slot } => (None, to_json(&report_json(*frequency, slot))),
    };
    outbox_cause::ActiveModel {
        id: NotSet,
        dedupe_key: Set(key),
        kind: Set(cause.kind().to_owned()),
        shipment_id: Set(shipment_id),
        detail: Set(detail),
        created_at: Set(created_at.to_owned()),
        dispatched_at: Set(None),
    }
}

pub(crate) fn pending_cause_of(row: outbox_cause::Model) -> Decoded<PendingCause> {
    const DETAIL: &str = "outbox_causes.detail";
    let cause = match row.kind.as_str() {
        SHIPMENT_CHANGED => {
            let shipment_id =
                row.shipment_id.ok_or_else(|| Corrupt::new("outbox_causes.shipment_id", "is empty for a change"))?;
            let json: ShipmentChangedJson = from_json(DETAIL, &row.detail)?;
            MailCause::ShipmentChanged { shipment_id: ShipmentId::new(shipment_id), change: json.change }
        }
        PASSWORD_SETUP => {
            let json: PasswordSetupJson = from_json(DETAIL, &row.detail)?;
            MailCause::PasswordSetup { tracking_user_id: TrackingUserId::new(json.tracking_user_id) }
        }
        LINK_SHARED => {
            let json: LinkSharedJson = from_json(DETAIL, &row.detail)?;
            MailCause::LinkShared { link_id: ShareLinkId::new(json.link_id) }
        }
        PERIODIC_REPORT => {
            let json: ReportJson = from_json(DETAIL, &row.detail)?;
            let (frequency, slot) = report_of(DETAIL, &json)?;
            MailCause::PeriodicReport { frequency, slot }
        }
        other => return Err(Corrupt::new("outbox_causes.kind", format!("unknown value '{other}'"))),
    };
    Ok(PendingCause { id: row.id, cause, created_at: utc_time("outbox_causes.created_at", &row.created_at)? })
}

/// A mail just queued: pending, due at `now`, never attempted.
pub(crate) fn outbox_mail_row(mail: &NewOutboxMail, now: &str) -> outbox_mail::ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    let (user, link, address) = match &mail.recipient {
        MailRecipient::User(id) => (Some(id.as_str().to_owned()), None, None),
        MailRecipient::LinkRecipient { link_id, email } => {
            (None, Some(link_id.as_str().to_owned()), Some(email.as_str().to_owned()))
        }
    };
    let content = match &mail.content {
        MailContent::ShipmentUpdate { shipment_id, notices } => {
            to_json(&ShipmentUpdateJson { shipment_id: shipment_id.as_str().to_owned(), notices: notices.clone() })
        }
        MailContent::PasswordSetup | MailContent::LinkShared => to_json(&NoDetailJson {}),
        MailContent::PeriodicReport { frequency, slot } => to_json(&report_json(*frequency, slot)),
    };
    outbox_mail::ActiveModel {
        id: NotSet,
        dedupe_key: Set(mail.dedupe_key.clone()),
        kind: Set(mail.content.kind().to_owned()),
        recipient_user_id: Set(user),
        recipient_link_id: Set(link),
        recipient_email: Set(address),
        content: Set(content),
        status: Set(OutboxStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        created_at: Set(now.to_owned()),
        next_attempt_at: Set(now.to_owned()),
        lease_until: Set(None),
        finished_at: Set(None),
        last_error: Set(None),
    }
}

pub(crate) fn outbox_mail_of(row: outbox_mail::Model) -> Decoded<OutboxMail> {
    const CONTENT: &str = "outbox_mails.content";
    let recipient = match (row.recipient_user_id, row.recipient_link_id, row.recipient_email) {
        (Some(user), None, None) => MailRecipient::User(TrackingUserId::new(user)),
        (None, Some(link), Some(address)) => MailRecipient::LinkRecipient {
            link_id: ShareLinkId::new(link),
            email: email("outbox_mails.recipient_email", &address)?,
        },
        _ => return Err(Corrupt::new("outbox_mails.recipient", "names no recipient, or more than one")),
    };
    let content = match row.kind.as_str() {
        SHIPMENT_UPDATE => {
            let json: ShipmentUpdateJson = from_json(CONTENT, &row.content)?;
            MailContent::ShipmentUpdate { shipment_id: ShipmentId::new(json.shipment_id), notices: json.notices }
        }
        PASSWORD_SETUP => {
            let _: NoDetailJson = from_json(CONTENT, &row.content)?;
            MailContent::PasswordSetup
        }
        LINK_SHARED => {
            let _: NoDetailJson = from_json(CONTENT, &row.content)?;
            MailContent::LinkShared
        }
        PERIODIC_REPORT => {
            let json: ReportJson = from_json(CONTENT, &row.content)?;
            let (frequency, slot) = report_of(CONTENT, &json)?;
            MailContent::PeriodicReport { frequency, slot }
        }
        other => return Err(Corrupt::new("outbox_mails.kind", format!("unknown value '{other}'"))),
    };
    Ok(OutboxMail {
        id: row.id,
        dedupe_key: row.dedupe_key,
        recipient,
        content,
        status: parsed("outbox_mails.status", &row.status, OutboxStatus::parse)?,
        attempts: u32::try_from(row.attempts).map_err(|_| Corrupt::new("outbox_mails.attempts", "is negative"))?,
        created_at: utc_time("outbox_mails.created_at", &row.created_at)?,
        next_attempt_at: utc_time("outbox_mails.next_attempt_at", &row.next_attempt_at)?,
        finished_at: optional_utc_time("outbox_mails.finished_at", row.finished_at.as_deref())?,
        last_error: row.last_error,
    })
}

// ---- API keys -------------------------------------------------------------

pub(crate) fn api_key_of(row: api_key::Model) -> Decoded<ApiKey> {
    Ok(ApiKey {
        role: parsed("api_keys.role", &row.role, |text| text.parse::<StaffRole>().ok())?,
        created_at: utc_time("api_keys.created_at", &row.created_at)?,
        id: row.id,
        name: row.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_times_keep_their_offset_and_precision() {
        for text in ["2025-05-10T18:00:00+07:00", "2025-05-25T06:30:00.123456789-07:00", "2025-05-10T00:00:00+00:00"] {
            let time = DateTime::parse_from_rfc3339(text).expect("valid");
            let back = offset_time("t", &offset_time_text(&time)).expect("readable");
            assert_eq!(back.offset(), time.offset(), "{text}");
            assert_eq!(offset_time_text(&back), offset_time_text(&time), "{text}");
        }
    }

    #[test]
    fn utc_text_sorts_like_time() {
        let early = DateTime::parse_from_rfc3339("2025-05-10T01:00:00.5Z").expect("valid").with_timezone(&Utc);
        let late = DateTime::parse_from_rfc3339("2025-05-10T01:00:01Z").expect("valid").with_timezone(&Utc);
        assert!(utc_text(&early) < utc_text(&late));
        assert_eq!(utc_text(&early).len(), utc_text(&late).len());
        assert_eq!(utc_time("t", &utc_text(&early)), Ok(early));
    }

    fn cause_model(row: outbox_cause::ActiveModel, id: i64) -> outbox_cause::Model {
        outbox_cause::Model {
            id,
            dedupe_key: row.dedupe_key.unwrap(),
            kind: row.kind.unwrap(),
            shipment_id: row.shipment_id.unwrap(),
            detail: row.detail.unwrap(),
            created_at: row.created_at.unwrap(),
            dispatched_at: row.dispatched_at.unwrap(),
        }
    }

    fn mail_model(row: outbox_mail::ActiveModel, id: i64) -> outbox_mail::Model {
        outbox_mail::Model {
            id,
            dedupe_key: row.dedupe_key.unwrap(),
            kind: row.kind.unwrap(),
            recipient_user_id: row.recipient_user_id.unwrap(),
            recipient_link_id: row.recipient_link_id.unwrap(),
            recipient_email: row.recipient_email.unwrap(),
            content: row.content.unwrap(),
            status: row.status.unwrap(),
            attempts: row.attempts.unwrap(),
            created_at: row.created_at.unwrap(),
            next_attempt_at: row.next_attempt_at.unwrap(),
            lease_until: row.lease_until.unwrap(),
            finished_at: row.finished_at.unwrap(),
            last_error: row.last_error.unwrap(),
        }
    }

    fn change() -> ViewerChange {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).expect("valid");
        let dates = |eta: &str| ViewerDates {
            status: Status::InTransit,
            etd: Some(at("2025-05-10T18:00:00+07:00")),
            atd: Some(at("2025-05-10T21:15:30.250+07:00")),
            eta: Some(at(eta)),
            ata: None,
        };
        ViewerChange {
            before: dates("2025-05-25T08:00:00-07:00"),
            after: dates("2025-05-27T08:00:00.123456789-07:00"),
            new_events: vec![porthole_domain::SeenEvent {
                event_id: "evt-1".to_owned(),
                code: "DEPA".to_owned(),
                label: "Departed".to_owned(),
                event_time: at("2025-05-10T21:15:30.250+07:00"),
                milestone: true,
                document: false,
            }],
        }
    }

    #[test]
    fn every_cause_round_trips() {
        let slot = utc_time("t", "2025-05-12T01:00:00Z").expect("valid");
        let causes = [
            MailCause::ShipmentChanged { shipment_id: ShipmentId::new("shp_1"), change: change() },
            MailCause::PasswordSetup { tracking_user_id: TrackingUserId::new("tus_1") },
            MailCause::LinkShared { link_id: ShareLinkId::new("lnk_1") },
            MailCause::PeriodicReport { frequency: ReportFrequency::Weekly, slot },
        ];
        for (cause, id) in causes.into_iter().zip(1..) {
            let row = cause_model(cause_row(&cause, Some("key".to_owned()), "2025-05-12T01:00:00.000000000Z"), id);
            assert_eq!(row.kind, cause.kind());
            assert_eq!(row.shipment_id.is_some(), matches!(cause, MailCause::ShipmentChanged { .. }));
            if row.shipment_id.is_some() {
                // Equality of times ignores their offset; the stored text keeps it.
                assert!(row.detail.contains("2025-05-27T08:00:00.123456789-07:00"), "{}", row.detail);
            }
            let read = pending_cause_of(row).expect("readable");
            assert_eq!(read, PendingCause { id, cause, created_at: slot });
        }
    }

    #[test]
    fn every_mail_round_trips() {
        let slot = utc_time("t", "2025-05-12T01:00:00Z").expect("valid");
        let notices = change().notices(&porthole_domain::NoticePolicy::default());
        assert_eq!(notices.len(), 2, "a milestone and a moved arrival: {notices:?}");
        let link_recipient = MailRecipient::LinkRecipient {
            link_id: ShareLinkId::new("lnk_1"),
            email: Email::parse("desk@buyer.example").expect("valid"),
        };
        let mails = [
            (MailRecipient::User(TrackingUserId::new("tus_1")), MailContent::PasswordSetup),
            (link_recipient.clone(), MailContent::LinkShared),
            (link_recipient, MailContent::ShipmentUpdate { shipment_id: ShipmentId::new("shp_1"), notices }),
            (
                MailRecipient::User(TrackingUserId::new("tus_2")),
                MailContent::PeriodicReport { frequency: ReportFrequency::Daily, slot },
            ),
        ];
        for ((recipient, content), id) in mails.into_iter().zip(1..) {
            let mail = NewOutboxMail { dedupe_key: format!("key-{id}"), recipient, content };
            let row = mail_model(outbox_mail_row(&mail, &utc_text(&slot)), id);
            assert_eq!(row.kind, mail.content.kind());
            let read = outbox_mail_of(row).expect("readable");
            assert_eq!(
                read,
                OutboxMail {
                    id,
                    dedupe_key: mail.dedupe_key,
                    recipient: mail.recipient,
                    content: mail.content,
                    status: OutboxStatus::Pending,
                    attempts: 0,
                    created_at: slot,
                    next_attempt_at: slot,
                    finished_at: None,
                    last_error: None,
                }
            );
        }
    }

    #[test]
    fn unreadable_outbox_rows_are_corrupt() {
        let cause = || {
            let row = cause_row(
                &MailCause::ShipmentChanged { shipment_id: ShipmentId::new("shp_1"), change: change() },
                None,
                "2025-05-12T01:00:00.000000000Z",
            );
            cause_model(row, 1)
        };
        let corrupt_cause = |row: outbox_cause::Model| pending_cause_of(row).err().map(|c| c.column().to_owned());
        assert_eq!(
            corrupt_cause(outbox_cause::Model { kind: "gossip".to_owned(), ..cause() }).as_deref(),
            Some("outbox_causes.kind")
        );
        assert_eq!(
            corrupt_cause(outbox_cause::Model { shipment_id: None, ..cause() }).as_deref(),
            Some("outbox_causes.shipment_id")
        );
        assert_eq!(
            corrupt_cause(outbox_cause::Model { detail: "{}".to_owned(), ..cause() }).as_deref(),
            Some("outbox_causes.detail")
        );
        let report = cause_model(
            cause_row(
                &MailCause::PeriodicReport { frequency: ReportFrequency::Daily, slot: Utc::now() },
                None,
                "2025-05-12T01:00:00.000000000Z",
            ),
            2,
        );
        let hourly = outbox_cause::Model { detail: report.detail.replace("daily", "hourly"), ..report };
        assert_eq!(corrupt_cause(hourly).as_deref(), Some("outbox_causes.detail"));

        let mail = || {
            let new = NewOutboxMail {
                dedupe_key: "k".to_owned(),
                recipient: MailRecipient::User(TrackingUserId::new("tus_1")),
                content: MailContent::PasswordSetup,
            };
            mail_model(outbox_mail_row(&new, "2025-05-12T01:00:00.000000000Z"), 1)
        };
        let corrupt_mail = |row: outbox_mail::Model| outbox_mail_of(row).err().map(|c| c.column().to_owned());
        let two_recipients = outbox_mail::Model {
            recipient_link_id: Some("lnk_1".to_owned()),
            recipient_email: Some("desk@buyer.example".to_owned()),
            ..mail()
        };
        assert_eq!(corrupt_mail(two_recipients).as_deref(), Some("outbox_mails.recipient"));
        let nobody = outbox_mail::Model { recipient_user_id: None, ..mail() };
        assert_eq!(corrupt_mail(nobody).as_deref(), Some("outbox_mails.recipient"));
        let bad_address = outbox_mail::Model {
            recipient_user_id: None,
            recipient_link_id: Some("lnk_1".to_owned()),
            recipient_email: Some("not an address".to_owned()),
            ..mail()
        };
        assert_eq!(corrupt_mail(bad_address).as_deref(), Some("outbox_mails.recipient_email"));
        assert_eq!(
            corrupt_mail(outbox_mail::Model { status: "lost".to_owned(), ..mail() }).as_deref(),
            Some("outbox_mails.status")
        );
        assert_eq!(
            corrupt_mail(outbox_mail::Model { attempts: -1, ..mail() }).as_deref(),
            Some("outbox_mails.attempts")
        );
        assert_eq!(
            corrupt_mail(outbox_mail::Model { kind: "poem".to_owned(), ..mail() }).as_deref(),
            Some("outbox_mails.kind")
        );
        let update = outbox_mail::Model { kind: "shipment_update".to_owned(), ..mail() };
        assert_eq!(corrupt_mail(update).as_deref(), Some("outbox_mails.content"));
    }

    proptest::proptest! {
        #[test]
        fn any_offset_time_round_trips_exactly(
            seconds in -2_000_000_000_i64..8_000_000_000,
            nanos in 0_u32..1_000_000_000,
            offset_minutes in -(14 * 60)..=(14 * 60),
        ) {
            let offset = FixedOffset::east_opt(offset_minutes * 60).expect("within ±14 h");
            let time = DateTime::from_timestamp(seconds, nanos).expect("in range").with_timezone(&offset);
            let back = offset_time("t", &offset_time_text(&time)).expect("readable");
            proptest::prop_assert_eq!(back, time);
            proptest::prop_assert_eq!(back.offset(), time.offset());
        }

        #[test]
        fn utc_text_order_is_time_order(
            a in 0_i64..8_000_000_000,
            b in 0_i64..8_000_000_000,
            nanos in 0_u32..1_000_000_000,
        ) {
            let a = DateTime::from_timestamp(a, nanos).expect("in range");
            let b = DateTime::from_timestamp(b, 0).expect("in range");
            proptest::prop_assert_eq!(utc_text(&a).cmp(&utc_text(&b)), a.cmp(&b));
        }
    }
}
