//! Tracking users as staff create, change and read them.

use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use porthole_app::{TrackingUserSaved, input};
use porthole_domain as domain;

/// `POST /api/v1/tracking-users`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct TrackingUserCreate {
    /// The login name; unique, compared without regard to case.
    pub user_id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    /// The primary address: sign-in links and notifications go here.
    pub email: String,
    /// For a shared account: notifications go to these too. At most 20.
    pub additional_emails: Option<Vec<String>>,
    /// `customer`, `shipper`, `consignee` or `overseas_agent`.
    pub role: String,
    /// The organizations the user acts for; at least one.
    pub organization_ids: Vec<String>,
    /// Overseas agents only: the customers whose house bills the agent may
    /// see. None listed means none are visible.
    pub agent_customer_ids: Option<Vec<String>>,
    /// Mails the user receives; all off unless switched on here.
    pub notifications: Option<NotificationChoices>,
    /// What the portal shows the user; documents on, shipper and MBL number
    /// off unless set here.
    pub display: Option<DisplayChoices>,
    /// Mail the user a link to choose a password (valid 24 hours).
    pub send_setup_email: bool,
}

/// `PATCH /api/v1/tracking-users/{id}`: only the fields sent change.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct TrackingUserPatch {
    pub user_id: Option<String>,
    pub first_name: Option<String>,
    /// `null` clears the last name.
    pub last_name: MaybeUndefined<String>,
    pub email: Option<String>,
    /// Replaces the whole list.
    pub additional_emails: Option<Vec<String>>,
    pub role: Option<String>,
    /// Replaces the whole list.
    pub organization_ids: Option<Vec<String>>,
    /// Replaces the whole list.
    pub agent_customer_ids: Option<Vec<String>>,
    /// Only the switches sent change.
    pub notifications: Option<NotificationChoices>,
    /// Only the switches sent change.
    pub display: Option<DisplayChoices>,
}

/// Notification switches; those left out keep their value.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct NotificationChoices {
    /// A milestone of a visible shipment was published.
    pub journey_updated: Option<bool>,
    /// The ETD or ETA of a visible shipment moved past the threshold.
    pub eta_changed: Option<bool>,
    pub document_status: Option<bool>,
    /// A digest of the user's open shipments; `null` turns it off.
    pub periodic_report: MaybeUndefined<PeriodicReportChoice>,
}

/// A periodic report as chosen.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct PeriodicReportChoice {
    /// `daily` or `weekly`.
    pub frequency: String,
    /// Among `reference`, `hbl_no`, `status`, `pol`, `pod`, `etd`, `eta`,
    /// `atd`, `ata`; all of them when left out.
    pub columns: Option<Vec<String>>,
}

/// Display switches; those left out keep their value.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct DisplayChoices {
    /// Show published documents.
    pub doc_center: Option<bool>,
    /// Show the shipper (a shipper-role user always sees it).
    pub shipper_info: Option<bool>,
    /// Show the master bill number.
    pub mbl_number: Option<bool>,
}

/// `PUT /api/v1/tracking-users/{id}/password`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct PasswordSet {
    pub password: String,
}

/// A tracking user (portal account).
#[derive(Debug, Object)]
pub(crate) struct TrackingUser {
    pub id: String,
    pub user_id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: String,
    pub additional_emails: Vec<String>,
    /// `customer`, `shipper`, `consignee` or `overseas_agent`.
    pub role: String,
    pub organization_ids: Vec<String>,
    pub agent_customer_ids: Vec<String>,
    pub notifications: Notifications,
    pub display: Display,
    /// `invited` (no password yet), `active` or `disabled`.
    pub state: String,
    /// What staff should check after a change: organizations with
    /// near-duplicate names, a setup e-mail that could not be sent. Empty
    /// when reading.
    pub warnings: Vec<String>,
}

/// The mails a user receives.
#[derive(Debug, Object)]
pub(crate) struct Notifications {
    pub journey_updated: bool,
    pub eta_changed: bool,
    pub document_status: bool,
    /// `null` when the user receives no periodic report.
    pub periodic_report: Option<PeriodicReport>,
}

/// A periodic report the user receives.
#[derive(Debug, Object)]
pub(crate) struct PeriodicReport {
    /// `daily` or `weekly`.
    pub frequency: String,
    pub columns: Vec<String>,
}

/// What the portal shows the user.
#[derive(Debug, Object)]
pub(crate) struct Display {
    pub doc_center: bool,
    pub shipper_info: bool,
    pub mbl_number: bool,
}

impl From<TrackingUserCreate> for input::TrackingUserInput {
    fn from(body: TrackingUserCreate) -> Self {
        Self {
            user_id: body.user_id,
            first_name: body.first_name,
            last_name: body.last_name,
            email: body.email,
            additional_emails: body.additional_emails,
            role: body.role,
            organization_ids: body.organization_ids,
            agent_customer_ids: body.agent_customer_ids,
            notifications: body.notifications.map(Into::into),
            display: body.display.map(Into::into),
            send_setup_email: body.send_setup_email,
        }
    }
}

impl From<TrackingUserPatch> for input::TrackingUserPatch {
    fn from(body: TrackingUserPatch) -> Self {
        Self {
            user_id: body.user_id,
            first_name: body.first_name,
            last_name: body.last_name.into(),
            email: body.email,
            additional_emails: body.additional_emails,
            role: body.role,
            organization_ids: body.organization_ids,
            agent_customer_ids: body.agent_customer_ids,
            notifications: body.notifications.map(Into::into),
            display: body.display.map(Into::into),
        }
    }
}

impl From<NotificationChoices> for input::NotificationsInput {
    fn from(body: NotificationChoices) -> Self {
        Self {
            journey_updated: body.journey_updated,
            eta_changed: body.eta_changed,
            document_status: body.document_status,
            periodic_report: Option::<Option<PeriodicReportChoice>>::from(body.periodic_report)
                .map(|report| report.map(Into::into)),
        }
    }
}

impl From<PeriodicReportChoice> for input::PeriodicReportInput {
    fn from(body: PeriodicReportChoice) -> Self {
        Self { frequency: body.frequency, columns: body.columns }
    }
}

impl From<DisplayChoices> for input::DisplayInput {
    fn from(body: DisplayChoices) -> Self {
        Self { doc_center: body.doc_center, shipper_info: body.shipper_info, mbl_number: body.mbl_number }
    }
}

impl From<TrackingUserSaved> for TrackingUser {
    fn from(saved: TrackingUserSaved) -> Self {
        Self { warnings: saved.warnings, ..saved.user.into() }
    }
}

impl From<domain::TrackingUser> for TrackingUser {
    fn from(user: domain::TrackingUser) -> Self {
        let ids = |set: std::collections::BTreeSet<domain::OrganizationId>| {
            set.into_iter().map(domain::OrganizationId::into_string).collect()
        };
        Self {
            id: user.id.into_string(),
            user_id: user.user_id.to_string(),
            first_name: user.first_name,
            last_name: user.last_name,
            email: user.email.to_string(),
            additional_emails: user.additional_emails.iter().map(ToString::to_string).collect(),
            role: user.role.as_str().to_owned(),
            organization_ids: ids(user.organization_ids),
            agent_customer_ids: ids(user.agent_customer_ids),
            notifications: user.notifications.into(),
            display: user.display.into(),
            state: user.state.as_str().to_owned(),
            warnings: Vec::new(),
        }
    }
}

impl From<domain::NotificationPreferences> for Notifications {
    fn from(preferences: domain::NotificationPreferences) -> Self {
        Self {
            journey_updated: preferences.journey_updated,
            eta_changed: preferences.eta_changed,
            document_status: preferences.document_status,
            periodic_report: preferences.periodic_report.map(|report| PeriodicReport {
                frequency: match report.frequency {
                    domain::ReportFrequency::Daily => "daily",
                    domain::ReportFrequency::Weekly => "weekly",
                }
                .to_owned(),
                columns: report.columns,
            }),
        }
    }
}

impl From<domain::DisplaySettings> for Display {
    fn from(display: domain::DisplaySettings) -> Self {
        Self { doc_center: display.doc_center, shipper_info: display.shipper_info, mbl_number: display.mbl_number }
    }
}
