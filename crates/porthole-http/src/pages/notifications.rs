//! A tracking user's e-mail notification choices, and the unsubscribe
//! links those e-mails carry.
//!
//! An unsubscribe link works without signing in. Mail scanners open links
//! before people do, so its GET only shows what the link would stop; the
//! button's POST stops it.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{CsrfToken, CsrfVerifier, Data, Form, Query};
use poem::{Request, Response, handler};
use porthole_app::input::{NotificationsInput, PeriodicReportInput, REPORT_COLUMNS};
use porthole_app::{AppError, PortalViewer, Unsubscription};
use porthole_domain::{NotificationCategory, NotificationPreferences, ReportFrequency};
use serde::Deserialize;

use super::{Action, Frame, Portal, failure, form_expired, message, page, require_viewer, see_other, token_page};

const NOTIFICATIONS: &str = "/portal/notifications";

// ---- Preferences -------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/notifications.html")]
struct PreferencesPage {
    frame: Frame,
    journey_updated: bool,
    eta_changed: bool,
    document_status: bool,
    /// `off`, `daily` or `weekly`.
    report: &'static str,
    columns: Vec<ColumnChoice>,
    saved: bool,
    error: Option<String>,
}

struct ColumnChoice {
    name: &'static str,
    label: &'static str,
    chosen: bool,
}

impl PreferencesPage {
    fn new(viewer: &PortalViewer, csrf: &CsrfToken, preferences: &NotificationPreferences) -> Self {
        let report = preferences.periodic_report.as_ref();
        Self {
            frame: Frame::signed_in("Notifications", viewer, csrf).on_notifications(),
            journey_updated: preferences.journey_updated,
            eta_changed: preferences.eta_changed,
            document_status: preferences.document_status,
            report: match report.map(|r| r.frequency) {
                None => "off",
                Some(ReportFrequency::Daily) => "daily",
                Some(ReportFrequency::Weekly) => "weekly",
            },
            // With no report chosen yet, every column is offered ticked:
            // that is what a report without a choice of columns carries.
            columns: REPORT_COLUMNS
                .iter()
                .map(|&name| ColumnChoice {
                    name,
                    label: column_label(name),
                    chosen: report.is_none_or(|r| r.columns.iter().any(|c| c == name)),
                })
                .collect(),
            saved: false,
            error: None,
        }
    }
}

fn column_label(column: &str) -> &'static str {
    match column {
        "reference" => "Reference",
        "hbl_no" => "House bill number",
        "status" => "Status",
        "pol" => "Port of loading",
        "pod" => "Port of discharge",
        "etd" => "Estimated departure",
        "eta" => "Estimated arrival",
        "atd" => "Actual departure",
        "ata" => "Actual arrival",
        _ => "Other",
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PreferencesQuery {
    saved: Option<String>,
}

#[handler]
pub(super) async fn preferences_page(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    request: &Request,
    Query(query): Query<PreferencesQuery>,
) -> Response {
    let viewer = match require_viewer(&portal, request, csrf).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let mut form = PreferencesPage::new(&viewer, csrf, &viewer.user.notifications);
    form.saved = query.saved.is_some();
    page(StatusCode::OK, &form)
}

/// The form as posted: a checkbox is present only when ticked, and the
/// columns repeat one name, so the body is read as its list of pairs.
#[handler]
pub(super) async fn save_preferences(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    request: &Request,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let value = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    if !verifier.is_valid(value("csrf_token").unwrap_or_default()) {
        return form_expired(Frame::public("Notifications", csrf), NOTIFICATIONS);
    }
    let viewer = match require_viewer(&portal, request, csrf).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let columns: Vec<String> = fields.iter().filter(|(key, _)| key == "column").map(|(_, v)| v.clone()).collect();
    let periodic_report = match value("periodic_report") {
        Some("daily" | "weekly") => Some(PeriodicReportInput {
            frequency: value("periodic_report").unwrap_or_default().to_owned(),
            columns: Some(columns.clone()),
        }),
        _ => None,
    };
    let input = NotificationsInput {
        journey_updated: Some(value("journey_updated").is_some()),
        eta_changed: Some(value("eta_changed").is_some()),
        document_status: Some(value("document_status").is_some()),
        periodic_report: Some(periodic_report),
    };
    match portal.app.update_own_notifications(&viewer, input.clone()).await {
        Ok(_) => see_other(&format!("{NOTIFICATIONS}?saved=1")),
        Err(AppError::Invalid(error)) => {
            // Show the form as sent, so the user fixes it rather than
            // starting again.
            let mut sent = viewer.user.notifications.clone();
            sent.journey_updated = input.journey_updated.unwrap_or_default();
            sent.eta_changed = input.eta_changed.unwrap_or_default();
            sent.document_status = input.document_status.unwrap_or_default();
            let mut form = PreferencesPage::new(&viewer, csrf, &sent);
            form.report = match value("periodic_report") {
                Some("daily") => "daily",
                Some("weekly") => "weekly",
                _ => "off",
            };
            for column in &mut form.columns {
                column.chosen = columns.iter().any(|c| c == column.name);
            }
            form.error = Some(match error.field.as_str() {
                "periodic_report.columns" => "Choose at least one column for the summary.".to_owned(),
                _ => format!("{}: {}", error.field, error.message),
            });
            page(StatusCode::UNPROCESSABLE_ENTITY, &form)
        }
        Err(error) => failure(error, Frame::signed_in("Notifications", &viewer, csrf)),
    }
}

// ---- Unsubscribe links ------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/unsubscribe.html")]
struct UnsubscribePage {
    frame: Frame,
    token: String,
    what: &'static str,
}

/// What an unsubscribe link's mails are, as the page names them.
fn mails_of(unsubscription: Unsubscription) -> &'static str {
    match unsubscription {
        Unsubscription::Category(NotificationCategory::JourneyUpdated) => {
            "e-mails when a shipment reaches a new milestone"
        }
        Unsubscription::Category(NotificationCategory::EtaChanged) => {
            "e-mails when a departure or arrival estimate changes"
        }
        Unsubscription::Category(NotificationCategory::DocumentStatus) => "e-mails when a document's status changes",
        Unsubscription::Category(NotificationCategory::PeriodicReport) => "the summary of your open shipments",
        Unsubscription::LinkUpdates => "updates about the shipment that was shared with you",
    }
}

/// Where a page about an unsubscribe link leads: portal users to their
/// other choices; share-link recipients have no account, so nowhere.
fn next_step(unsubscription: Unsubscription) -> Option<Action> {
    match unsubscription {
        Unsubscription::Category(_) => Action::to(NOTIFICATIONS, "Change your other e-mail choices"),
        Unsubscription::LinkUpdates => None,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TokenQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct UnsubscribeForm {
    csrf_token: String,
    token: String,
}

fn link_frame(title: &str, csrf: Option<&CsrfToken>) -> Frame {
    Frame::for_link_holder(title, csrf)
}

/// The one page for every unsubscribe link that names nothing.
fn invalid_link() -> Response {
    token_page(message(
        StatusCode::NOT_FOUND,
        link_frame("This link is not valid", None),
        &[
            "This unsubscribe link is not valid. Check that the whole link was copied from the e-mail.",
            "You can also sign in and change your e-mail choices under Notifications.",
        ],
        Action::to(NOTIFICATIONS, "Go to your notification choices"),
    ))
}

#[handler]
pub(super) async fn unsubscribe_page(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    Query(query): Query<TokenQuery>,
) -> Response {
    match portal.app.unsubscription(&query.token).await {
        Ok(category) => token_page(page(
            StatusCode::OK,
            &UnsubscribePage {
                frame: link_frame("Unsubscribe", Some(csrf)),
                token: query.token,
                what: mails_of(category),
            },
        )),
        Err(AppError::NotFound) => invalid_link(),
        Err(error) => token_page(failure(error, link_frame("Unsubscribe", None))),
    }
}

#[handler]
pub(super) async fn unsubscribe(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    Form(form): Form<UnsubscribeForm>,
) -> Response {
    if !verifier.is_valid(&form.csrf_token) {
        let retry = format!("/portal/unsubscribe?token={}", super::url_component(&form.token));
        return token_page(form_expired(link_frame("Unsubscribe", Some(csrf)), &retry));
    }
    match portal.app.unsubscribe(&form.token).await {
        Ok(category) => token_page(message(
            StatusCode::OK,
            link_frame("Unsubscribed", None),
            &[&format!("You will no longer receive {}.", mails_of(category))],
            next_step(category),
        )),
        Err(AppError::NotFound) => invalid_link(),
        Err(error) => token_page(failure(error, link_frame("Unsubscribe", None))),
    }
}
