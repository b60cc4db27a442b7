//! The pages a share-link recipient sees: opening `/t/{token}`, proving a
//! recipient's address with an e-mailed code where the link asks for it,
//! and the shipment page at `/share/{link_id}`.
//!
//! The token leaves the address bar as soon as it has done its work: the
//! viewer's session moves into a cookie bound to the link's page, and the
//! browser is sent to that page, whose address holds only the link's id.
//! Every link that does not work — malformed, unknown, revoked, expired, or
//! a page visited without a live session — gets the same page, so nobody
//! can learn from it whether a link ever existed.
//!
//! A GET of `/t/{token}` sends no mail and uses no code, so the mail
//! scanners that pre-open links do no harm; codes are only sent and
//! checked by the forms' POSTs.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{CsrfToken, CsrfVerifier, Data, Form, Path};
use poem::{Request, Response, handler};
use porthole_app::{AppError, LinkEntry, LinkSessionIssued};
use porthole_domain::share::{CODE_ATTEMPTS, CODE_LIFETIME};
use porthole_domain::{LinkShipmentView, ShareLinkId};
use serde::Deserialize;

use super::parts::{
    ContainerRow, DateFact, DocumentRow, EventRow, Fact, ProgressView, StatusBadge, Stop, cargo, container_row,
    customer_note, dates, documents, event_row, progress, route,
};
use super::{
    Frame, Portal, append_cookie, form_expired, message, page, see_other, set_retry_after, token_page, unavailable,
    url_component, wait_time,
};
use crate::client::ClientAddress;
use crate::session_cookie::presented_link_session;

const ADDRESS_TITLE: &str = "Confirm your e-mail address";
const CODE_SENT_TITLE: &str = "Check your e-mail";
const CODE_DEAD_TITLE: &str = "This code has expired or was used up";

/// `/t/{token}`, for links and form actions.
fn entry_path(token: &str) -> String {
    format!("/t/{}", url_component(token))
}

/// `/share/{link_id}`: the link's shipment page, and its cookie's path.
fn shipment_path(link_id: &str) -> String {
    format!("/share/{}", url_component(link_id))
}

// ---- Opening the link and proving an address ---------------------------------

#[derive(Template)]
#[template(path = "pages/link_address.html")]
struct AddressPage {
    frame: Frame,
    entry_path: String,
    /// What the viewer typed, kept when the form comes back.
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/link_code.html")]
struct CodePage {
    frame: Frame,
    entry_path: String,
    /// The address the code was asked for, carried in hidden fields.
    email: String,
    paragraphs: Vec<String>,
    error: Option<String>,
    /// Whether the code form is shown; not once the code is dead.
    accepts_code: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AddressForm {
    csrf_token: String,
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CodeForm {
    csrf_token: String,
    email: String,
    code: String,
}

#[handler]
pub(super) async fn open_link(portal: Data<&Portal>, csrf: &CsrfToken, token: poem::Result<Path<String>>) -> Response {
    // A token that does not even decode (`/t/%FF`) is one more link that
    // does not work, not a bad request.
    let Ok(Path(token)) = token else {
        return token_page(invalid_link());
    };
    let response = match portal.app.open_share_link(&token).await {
        Ok(LinkEntry::Granted(session)) => enter(&portal, &session),
        Ok(LinkEntry::NeedsVerification { .. }) => address_form(StatusCode::OK, csrf, &token, "", None),
        Err(error) => link_failure(error),
    };
    token_page(response)
}

/// Any other address under `/t/`.
#[handler]
pub(super) fn mangled_link() -> Response {
    token_page(invalid_link())
}

/// Asks for a code. The page that follows reads the same whether or not
/// the address is a recipient, so it cannot be used to find out who is.
#[handler]
pub(super) async fn request_code(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    ClientAddress(client): ClientAddress,
    Path(token): Path<String>,
    Form(form): Form<AddressForm>,
) -> Response {
    if !verifier.is_valid(&form.csrf_token) {
        return token_page(form_expired(Frame::for_link_holder(ADDRESS_TITLE, Some(csrf)), &entry_path(&token)));
    }
    let email = form.email.trim();
    let response = match portal.app.request_link_code(&token, email, client).await {
        Ok(()) => code_sent(csrf, &token, email),
        Err(AppError::Invalid(_)) => address_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            csrf,
            &token,
            email,
            Some("Enter an e-mail address such as name@company.com."),
        ),
        Err(error) => link_failure(error),
    };
    token_page(response)
}

#[handler]
pub(super) async fn verify_code(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    ClientAddress(client): ClientAddress,
    Path(token): Path<String>,
    Form(form): Form<CodeForm>,
) -> Response {
    if !verifier.is_valid(&form.csrf_token) {
        return token_page(form_expired(Frame::for_link_holder(CODE_SENT_TITLE, Some(csrf)), &entry_path(&token)));
    }
    let email = form.email.trim();
    // Codes are often copied as "123 456"; the digits are what count.
    let code: String = form.code.split_whitespace().collect();
    let outcome = portal.app.verify_link_code(&token, email, &code, client).await;
    let code_form = |error: String, accepts_code| CodePage {
        frame: Frame::for_link_holder(CODE_SENT_TITLE, Some(csrf)),
        entry_path: entry_path(&token),
        email: email.to_owned(),
        paragraphs: Vec::new(),
        error: Some(error),
        accepts_code,
    };
    let response = match outcome {
        Ok(session) => enter(&portal, &session),
        Err(AppError::CodeRejected { attempts_left: 0 }) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &code_form("That code is not right, and this code cannot be tried again. Ask for a new one.".into(), false),
        ),
        Err(AppError::CodeRejected { attempts_left }) => {
            let tries = if attempts_left == 1 { "try" } else { "tries" };
            let error = format!("That code is not right. {attempts_left} {tries} left.");
            page(StatusCode::UNPROCESSABLE_ENTITY, &code_form(error, true))
        }
        Err(AppError::CodeExpired) => page(StatusCode::UNPROCESSABLE_ENTITY, &code_dead(csrf, &token, email)),
        Err(AppError::Invalid(refused)) if refused.field == "code" => {
            page(StatusCode::UNPROCESSABLE_ENTITY, &code_form("Enter the 6 digits from the e-mail.".into(), true))
        }
        // The address travels in a hidden field: only a tampered form gets here.
        Err(AppError::Invalid(_)) => address_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            csrf,
            &token,
            email,
            Some("Enter an e-mail address such as name@company.com."),
        ),
        Err(error) => link_failure(error),
    };
    token_page(response)
}

fn address_form(status: StatusCode, csrf: &CsrfToken, token: &str, email: &str, error: Option<&str>) -> Response {
    let form = AddressPage {
        frame: Frame::for_link_holder(ADDRESS_TITLE, Some(csrf)),
        entry_path: entry_path(token),
        email: email.to_owned(),
        error: error.map(str::to_owned),
    };
    page(status, &form)
}

fn code_sent(csrf: &CsrfToken, token: &str, email: &str) -> Response {
    let form = CodePage {
        frame: Frame::for_link_holder(CODE_SENT_TITLE, Some(csrf)),
        entry_path: entry_path(token),
        email: email.to_owned(),
        paragraphs: vec![
            "If this address may open the link, we have e-mailed it a 6-digit code.".to_owned(),
            format!(
                "The code works for {} minutes. Only the newest code counts, so use the one from the latest e-mail.",
                CODE_LIFETIME.num_minutes()
            ),
        ],
        error: None,
        accepts_code: true,
    };
    page(StatusCode::OK, &form)
}

fn code_dead(csrf: &CsrfToken, token: &str, email: &str) -> CodePage {
    CodePage {
        frame: Frame::for_link_holder(CODE_DEAD_TITLE, Some(csrf)),
        entry_path: entry_path(token),
        email: email.to_owned(),
        paragraphs: vec![format!(
            "A code works for {} minutes and {CODE_ATTEMPTS} tries, and only the newest one sent counts. Ask for a \
             new code and enter it here.",
            CODE_LIFETIME.num_minutes()
        )],
        error: None,
        accepts_code: false,
    }
}

/// The viewer is in: the session goes into the link's cookie, and the
/// browser to the link's page, leaving the token behind.
fn enter(portal: &Portal, session: &LinkSessionIssued) -> Response {
    let to = shipment_path(session.link_id.as_str());
    let mut response = see_other(&to);
    append_cookie(&mut response, &portal.cookies.issue_for_link(session, &to, portal.app.clock().now()));
    response
}

// ---- The shipment page ------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/shared_shipment.html")]
struct SharedShipmentPage {
    frame: Frame,
    reference: String,
    status: StatusBadge,
    customer_note: Option<String>,
    progress: ProgressView,
    route: Vec<Stop>,
    dates: Vec<DateFact>,
    cargo: Vec<Fact>,
    containers: Vec<ContainerRow>,
    events: Vec<EventRow>,
    documents: Option<Vec<DocumentRow>>,
}

#[handler]
pub(super) async fn shared_shipment(
    portal: Data<&Portal>,
    ClientAddress(client): ClientAddress,
    request: &Request,
    link_id: poem::Result<Path<String>>,
) -> Response {
    let (Ok(Path(link_id)), Some(secret)) = (link_id, presented_link_session(request.headers())) else {
        return token_page(invalid_link());
    };
    let response = match portal.app.shared_shipment(&ShareLinkId::new(&link_id), &secret, client).await {
        Ok(view) => page(StatusCode::OK, &shared_page(&view)),
        Err(AppError::NotFound) => {
            // The session is over (link revoked, renewed or expired): the
            // browser may as well forget it.
            let mut response = invalid_link();
            append_cookie(&mut response, &portal.cookies.clear_for_link(&shipment_path(&link_id)));
            response
        }
        Err(error) => link_failure(error),
    };
    token_page(response)
}

/// Only what the link shows: no bill numbers, parties or charges, and the
/// optional sections only where the link includes them and they hold
/// something.
fn shared_page(view: &LinkShipmentView) -> SharedShipmentPage {
    SharedShipmentPage {
        frame: Frame::for_link_holder(format!("Shipment {}", view.reference), None),
        reference: view.reference.to_string(),
        status: StatusBadge::of(view.status),
        customer_note: customer_note(view.customer_note.as_deref()),
        progress: progress(&view.progress, view.status),
        route: route(view.place_of_receipt.as_ref(), &view.pol, &view.pod, view.place_of_delivery.as_ref()),
        dates: dates(&view.dates, &view.pol, &view.pod),
        cargo: view.cargo.as_ref().map(cargo).unwrap_or_default(),
        containers: view.containers.iter().flatten().map(container_row).collect(),
        events: view.events.iter().map(event_row).collect(),
        documents: view.documents.as_deref().filter(|found| !found.is_empty()).map(documents),
    }
}

// ---- When a link does not work ----------------------------------------------------

/// The one page for every link that does not work. It carries no form
/// token, so its body is the same byte for byte whatever the reason.
pub(super) fn invalid_link() -> Response {
    message(
        StatusCode::NOT_FOUND,
        Frame::for_link_holder("This link is not valid", None),
        &[
            "The link may be incomplete, or it has expired or been withdrawn.",
            "Ask whoever sent it to you for a new link.",
        ],
        None,
    )
}

fn link_failure(error: AppError) -> Response {
    match error {
        AppError::NotFound => invalid_link(),
        AppError::RateLimited { retry_after } => {
            let wait = format!(
                "Too many codes were asked for or entered on this link. Please wait {} and try again.",
                wait_time(retry_after)
            );
            let mut response =
                message(StatusCode::TOO_MANY_REQUESTS, Frame::for_link_holder("Please wait", None), &[&wait], None);
            set_retry_after(&mut response, retry_after);
            response
        }
        AppError::Unavailable(detail) => {
            tracing::error!(%detail, "storage unavailable while serving a share-link page");
            unavailable(Frame::for_link_holder("Briefly unavailable", None))
        }
        other => {
            tracing::error!(error = %other, "share-link page failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                Frame::for_link_holder("Something went wrong", None),
                &["Something went wrong on our side. Please try again in a moment."],
                None,
            )
        }
    }
}
