//! The web pages for people: the portal under `/portal` — signing in
//! (with a password, a one-time e-mail link, or a password-setup link) and
//! the signed-in tracking user's shipment list, shipment pages and e-mail
//! choices, and unsubscribe links — and the
//! pages a share link leads to, under `/t/` and `/share/` (`share`).
//!
//! Pages are askama templates (`templates/pages/`), compiled in and
//! escaping by default. They need no script and no inline style, so they
//! live under the strict page policy; the one stylesheet is served from
//! `/portal/static/`. Every form post is checked against a CSRF token, and
//! every page is `Cache-Control: no-store`: each carries either a form
//! token or a customer's shipments, neither of which a shared cache or the
//! back button of a shared computer should keep.

mod assets;
mod format;
mod notifications;
mod parts;
mod share;
mod shipments;
mod sign_in;

use askama::Template;
use poem::http::{HeaderValue, StatusCode, header};
use poem::middleware::Csrf;
use poem::web::CsrfToken;
use poem::web::cookie::SameSite;
use poem::{EndpointExt, Request, Response, Route, get, post};
use porthole_app::{AppError, PortalViewer, Porthole};

use crate::HttpSettings;
use crate::session_cookie::{SessionCookies, presented_session, serves_https};

/// Where `lib.rs` mounts these pages; links and redirects name it.
const MOUNT: &str = "/portal";
/// Where people land once signed in.
const HOME: &str = "/portal/shipments";
const LOGIN: &str = "/portal/login";

/// What the page handlers share.
#[derive(Debug, Clone)]
struct Portal {
    app: Porthole,
    cookies: SessionCookies,
}

/// Every page under `/portal`.
pub(crate) fn routes(app: Porthole, settings: &HttpSettings) -> Route {
    let portal = Portal { app, cookies: SessionCookies::for_site(settings) };
    let pages = Route::new()
        .at("/", get(home))
        .at("/login", get(sign_in::login_page).post(sign_in::login))
        .at("/login-link", get(sign_in::login_link_page).post(sign_in::login_link))
        .at("/set-password", get(sign_in::set_password_page).post(sign_in::set_password))
        .at("/logout", post(sign_in::logout))
        .at("/shipments", get(shipments::list))
        .at("/shipments/:id", get(shipments::detail))
        .at("/notifications", get(notifications::preferences_page).post(notifications::save_preferences))
        .at("/unsubscribe", get(notifications::unsubscribe_page).post(notifications::unsubscribe))
        .with(csrf_protection(settings))
        .data(portal);
    // The stylesheet sits outside the CSRF layer: it needs no token, and a
    // cacheable response must not set cookies.
    Route::new().at(assets::STYLESHEET_ROUTE, get(assets::stylesheet)).nest("/", pages)
}

/// Double-submit CSRF protection: an HttpOnly cookie and a form field that
/// both carry the same random value, which a forging site can neither read
/// nor set.
///
/// The middleware's sealing key is left at its fixed default on purpose.
/// What makes a forged post fail is that random value, which lives in the
/// victim's HttpOnly cookie and never reaches the attacker; the key only
/// seals the token's expiry. A key shared by construction keeps forms
/// working when several instances serve the same site behind a load
/// balancer.
///
/// Over HTTPS the cookie takes the `__Host-` prefix, so no sibling
/// subdomain can plant one. `SameSite=Lax` rather than `Strict`: a sign-in
/// link opened from a mail client is a cross-site navigation, and a
/// `Strict` cookie would be replaced there, expiring the forms of every
/// other open tab.
fn csrf_protection(settings: &HttpSettings) -> Csrf {
    let secure = serves_https(settings);
    let name = if secure { "__Host-porthole_csrf" } else { "porthole_csrf" };
    Csrf::new().cookie_name(name).secure(secure).http_only(true).same_site(SameSite::Lax).path("/")
}

/// Adds the pages a share link leads to: `/t/{token}` (opening the link
/// and, where it asks for one, proving a recipient's address, with forms
/// checked like the portal's) and `/share/{link_id}` (the shipment, for the
/// holder of the link's cookie; no forms).
///
/// They are added to `site` itself rather than nested under `/t` and
/// `/share`: a nest answers 400 when the rest of the path does not
/// percent-decode, before any handler could show such a mangled link the
/// same page as every other link that does not work.
pub(crate) fn with_link_pages(site: Route, app: Porthole, settings: &HttpSettings) -> Route {
    let portal = Portal { app, cookies: SessionCookies::for_site(settings) };
    site.at(
        "/t/:token",
        get(share::open_link).post(share::request_code).with(csrf_protection(settings)).data(portal.clone()),
    )
    .at("/t/:token/code", post(share::verify_code).with(csrf_protection(settings)).data(portal.clone()))
    // A link cut short or run on by a mail client reads like any other
    // link that does not work.
    .at("/t/*rest", get(share::mangled_link))
    .at("/share/:link_id", get(share::shared_shipment).data(portal))
}

/// `/portal` itself leads to the shipment list (or, signed out, to sign-in).
#[poem::handler]
fn home() -> Response {
    see_other(HOME)
}

// ---- The frame around every page ---------------------------------------

/// What the layout (`templates/pages/base.html`) shows around a page.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    title: String,
    stylesheet: &'static str,
    /// Where the brand in the header leads; `None` on pages for share-link
    /// recipients, who have no portal account to go to.
    home: Option<&'static str>,
    /// The signed-in user, shown in the header with a sign-out button.
    account: Option<Account>,
    /// For the page's forms and the header's sign-out form; empty on pages
    /// without forms.
    csrf_token: String,
    /// Marks the "Shipments" link as the current page.
    on_shipment_list: bool,
    /// Marks the "Notifications" link as the current page.
    on_notifications: bool,
}

#[derive(Debug, Clone)]
struct Account {
    name: String,
    login: String,
}

impl Frame {
    /// A page for someone not (yet) signed in.
    fn public(title: impl Into<String>, csrf: &CsrfToken) -> Self {
        Self {
            title: title.into(),
            stylesheet: assets::stylesheet_href(),
            home: Some(HOME),
            account: None,
            csrf_token: csrf.0.clone(),
            on_shipment_list: false,
            on_notifications: false,
        }
    }

    /// A page for a signed-in tracking user.
    fn signed_in(title: impl Into<String>, viewer: &PortalViewer, csrf: &CsrfToken) -> Self {
        let user = &viewer.user;
        let name = match &user.last_name {
            Some(last) => format!("{} {last}", user.first_name),
            None => user.first_name.clone(),
        };
        Self { account: Some(Account { name, login: user.user_id.to_string() }), ..Self::public(title, csrf) }
    }

    /// A page with no forms and no account: errors raised outside the
    /// pages' own handlers.
    fn bare(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            stylesheet: assets::stylesheet_href(),
            home: Some(HOME),
            account: None,
            csrf_token: String::new(),
            on_shipment_list: false,
            on_notifications: false,
        }
    }

    /// A page for someone holding a share link: no account and no way into
    /// the portal, only the form token when the page has a form.
    fn for_link_holder(title: impl Into<String>, csrf_token: Option<&CsrfToken>) -> Self {
        Self { home: None, csrf_token: csrf_token.map(|csrf| csrf.0.clone()).unwrap_or_default(), ..Self::bare(title) }
    }

    fn on_shipment_list(self) -> Self {
        Self { on_shipment_list: true, ..self }
    }

    fn on_notifications(self) -> Self {
        Self { on_notifications: true, ..self }
    }
}

// ---- Plain message pages ----------------------------------------------------

/// A page that only says something: a link was sent, a link is dead, a
/// form expired, something failed.
#[derive(Template)]
#[template(path = "pages/message.html")]
struct MessagePage {
    frame: Frame,
    heading: String,
    paragraphs: Vec<String>,
    action: Option<Action>,
}

/// A link styled as the page's way on.
#[derive(Debug, Clone)]
struct Action {
    href: String,
    label: &'static str,
}

impl Action {
    fn to(href: impl Into<String>, label: &'static str) -> Option<Self> {
        Some(Self { href: href.into(), label })
    }
}

fn message(status: StatusCode, frame: Frame, paragraphs: &[&str], action: Option<Action>) -> Response {
    let heading = frame.title.clone();
    let paragraphs = paragraphs.iter().map(|text| (*text).to_owned()).collect();
    page(status, &MessagePage { frame, heading, paragraphs, action })
}

/// A form posted without a valid CSRF token: a forgery, or a page left open
/// longer than its token lives. Either way nothing happened.
fn form_expired(frame: Frame, retry: &str) -> Response {
    message(
        StatusCode::FORBIDDEN,
        frame,
        &[
            "This form has expired, so nothing was sent. This happens when a page stays open for a long time or \
             cookies are blocked.",
            "Open the page again and retry.",
        ],
        Action::to(retry, "Open the page again"),
    )
}

/// The page for a use-case failure the handler has no better answer to.
fn failure(error: AppError, frame: Frame) -> Response {
    match error {
        AppError::RateLimited { retry_after } => {
            let mut response = message(
                StatusCode::TOO_MANY_REQUESTS,
                Frame { title: "Too many attempts".to_owned(), ..frame },
                &[&wait_message(retry_after)],
                None,
            );
            set_retry_after(&mut response, retry_after);
            response
        }
        AppError::NotFound => not_found(frame),
        AppError::Unavailable(detail) => {
            tracing::error!(%detail, "storage unavailable while serving a page");
            unavailable(frame)
        }
        other => {
            tracing::error!(error = %other, "page failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                Frame { title: "Something went wrong".to_owned(), ..frame },
                &["Something went wrong on our side. Please try again in a moment."],
                Action::to(HOME, "Go to your shipments"),
            )
        }
    }
}

fn unavailable(frame: Frame) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        Frame { title: "Briefly unavailable".to_owned(), ..frame },
        &["The portal cannot reach its records right now. Please try again in a minute."],
        None,
    )
}

/// The one "not found" page: a shipment that does not exist and one that
/// is not the viewer's read exactly the same.
fn not_found(frame: Frame) -> Response {
    message(
        StatusCode::NOT_FOUND,
        Frame { title: "Not found".to_owned(), ..frame },
        &["There is nothing here that you can see. Check the link, or find the shipment in your list."],
        Action::to(HOME, "Go to your shipments"),
    )
}

/// "Too many sign-in attempts. Please wait 3 minutes and try again."
fn wait_message(retry_after: std::time::Duration) -> String {
    format!("Too many sign-in attempts. Please wait {} and try again.", wait_time(retry_after))
}

/// "1 minute", "3 minutes": a wait rounded up to whole minutes.
fn wait_time(retry_after: std::time::Duration) -> String {
    let minutes = retry_after.as_secs().div_ceil(60).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("{minutes} {unit}")
}

fn set_retry_after(response: &mut Response, retry_after: std::time::Duration) {
    let seconds = retry_after.as_secs().max(1);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
}

/// The page for a failure outside the pages' handlers (an unknown address,
/// a refused request), in the portal's layout.
pub(crate) fn error_response(status: StatusCode) -> Response {
    let (heading, text) = error_text(status);
    message(status, Frame::bare(heading), &[text], Action::to(HOME, "Go to the portal"))
}

/// [`error_response`] for the pages share-link holders see: they have no
/// portal account to be sent to.
pub(crate) fn link_error_response(status: StatusCode) -> Response {
    let (heading, text) = error_text(status);
    token_page(message(status, Frame::for_link_holder(heading, None), &[text], None))
}

/// The heading and the text of the page for a failure known only by its
/// status.
fn error_text(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("Page not found", "There is nothing at this address. Check the link."),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("Too much at once", "More was sent than this page accepts. Go back, shorten what you entered and retry.")
        }
        status if status.is_server_error() => {
            ("Something went wrong", "Something went wrong on our side. Please try again in a moment.")
        }
        status => (status.canonical_reason().unwrap_or("Request refused"), "The request could not be completed."),
    }
}

/// The page for every share link that does not work, for refusals made
/// before a link's own handlers run.
pub(crate) fn invalid_link_response() -> Response {
    token_page(share::invalid_link())
}

// ---- Responses ---------------------------------------------------------------

/// A rendered page, never stored by any cache.
fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(html),
        Err(error) => {
            tracing::error!(%error, "page template failed to render");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain; charset=utf-8")
                .header(header::CACHE_CONTROL, "no-store")
                .body("Something went wrong on our side. Please try again in a moment.")
        }
    }
}

/// A response to a page that carries a one-time token in its address: the
/// token must not leak through the `Referer` of anything the page links
/// to, nor stay in a cache.
fn token_page(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 303 See Other: after a form post, the browser fetches `location` with GET.
fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

// ---- Who is asking -------------------------------------------------------------

/// The signed-in viewer, or the response that sends the browser to sign in
/// (and back here afterwards).
async fn require_viewer(portal: &Portal, request: &Request, csrf: &CsrfToken) -> Result<PortalViewer, Response> {
    let Some(secret) = presented_session(request.headers()) else {
        return Err(redirect_to_login(request, None));
    };
    match portal.app.portal_viewer(&secret).await {
        Ok(viewer) => Ok(viewer),
        Err(AppError::Unauthorized | AppError::NotFound | AppError::InvalidCredentials) => {
            let mut response = redirect_to_login(request, Some("session_ended"));
            append_cookie(&mut response, &portal.cookies.clear());
            Err(response)
        }
        Err(error) => Err(failure(error, Frame::public("Shipments", csrf))),
    }
}

fn redirect_to_login(request: &Request, notice: Option<&str>) -> Response {
    let mut query = Vec::new();
    if let Some(notice) = notice {
        query.push(format!("notice={notice}"));
    }
    // Routing strips the mount point from `uri()`; the pages live at `/portal`.
    let here = format!("{MOUNT}{}", request.uri().path_and_query().map_or("", |target| target.as_str()));
    if here != HOME {
        query.push(format!("next={}", url_component(&here)));
    }
    if query.is_empty() { see_other(LOGIN) } else { see_other(&format!("{LOGIN}?{}", query.join("&"))) }
}

/// Where to go after signing in: a portal page of this site and nothing
/// else, so a crafted sign-in link cannot send anyone to another site.
fn safe_return_path(requested: Option<&str>) -> Option<String> {
    let path = requested?.trim();
    let acceptable = path.starts_with("/portal/")
        && !path.starts_with(LOGIN)
        && path.len() <= 1024
        && !path.contains("//")
        && path.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'\\');
    acceptable.then(|| path.to_owned())
}

/// Percent-encodes a value for a query string.
fn url_component(value: &str) -> String {
    askama::filters::urlencode_strict(value).map(|encoded| encoded.to_string()).unwrap_or_default()
}

fn append_cookie(response: &mut Response, cookie: &poem::web::cookie::Cookie) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_portal_pages_are_places_to_return_to() {
        assert_eq!(safe_return_path(Some("/portal/shipments/shp_1")).as_deref(), Some("/portal/shipments/shp_1"));
        assert_eq!(
            safe_return_path(Some("/portal/shipments?q=MSKU&status=done")).as_deref(),
            Some("/portal/shipments?q=MSKU&status=done")
        );
        for refused in [
            "https://evil.example/portal/",
            "//evil.example/portal/",
            "/portal//evil.example",
            "/portal/\\evil.example",
            "/portal/login?next=/portal/x",
            "/api/v1/shipments",
            "/portal/ship ments",
            "",
        ] {
            assert_eq!(safe_return_path(Some(refused)), None, "{refused}");
        }
    }

    #[test]
    fn waits_are_rounded_up_to_whole_minutes() {
        let wait = |seconds| wait_message(std::time::Duration::from_secs(seconds));
        assert_eq!(wait(5), "Too many sign-in attempts. Please wait 1 minute and try again.");
        assert_eq!(wait(61), "Too many sign-in attempts. Please wait 2 minutes and try again.");
    }
}
