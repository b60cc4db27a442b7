//! Signing in and out: password sign-in, one-time e-mail links, and the
//! password-setup link new users receive.
//!
//! Links in mail are opened by mail scanners before people click them, so
//! a GET of a link page only looks at its token; the token is used by the
//! POST of the button or form that page shows.

use std::net::IpAddr;

use askama::Template;
use poem::http::{HeaderMap, StatusCode};
use poem::web::{CsrfToken, CsrfVerifier, Data, Form, Query};
use poem::{Response, handler};
use porthole_app::{AppError, SessionIssued};
use serde::Deserialize;

use super::{
    Action, Frame, HOME, LOGIN, Portal, append_cookie, failure, form_expired, message, page, safe_return_path,
    see_other, set_retry_after, token_page, wait_message,
};
use crate::client::ClientAddress;
use crate::session_cookie::presented_session;

const LOGIN_LINK: &str = "/portal/login-link";
const SET_PASSWORD: &str = "/portal/set-password";

// ---- Password sign-in --------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    frame: Frame,
    /// What the user typed, kept when the form comes back.
    login: String,
    next: Option<String>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginQuery {
    notice: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginForm {
    csrf_token: String,
    login: String,
    password: String,
    next: Option<String>,
}

/// Only these notices can be shown, so a crafted link cannot put words on
/// the sign-in page.
fn notice_text(key: &str) -> Option<&'static str> {
    match key {
        "password_set" => Some("Your password is set. Sign in with it now."),
        "signed_out" => Some("You have signed out."),
        "session_ended" => Some("Your session has ended. Please sign in again."),
        _ => None,
    }
}

#[handler]
pub(super) async fn login_page(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    headers: &HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let next = safe_return_path(query.next.as_deref());
    // Someone already signed in has nothing to do here.
    if let Some(secret) = presented_session(headers)
        && portal.app.portal_viewer(&secret).await.is_ok()
    {
        return see_other(next.as_deref().unwrap_or(HOME));
    }
    let notice = query.notice.as_deref().and_then(notice_text);
    let form = LoginPage { frame: Frame::public("Sign in", csrf), login: String::new(), next, notice, error: None };
    page(StatusCode::OK, &form)
}

#[handler]
pub(super) async fn login(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    ClientAddress(client): ClientAddress,
    headers: &HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let frame = Frame::public("Sign in", csrf);
    if !verifier.is_valid(&form.csrf_token) {
        return form_expired(frame, LOGIN);
    }
    let next = safe_return_path(form.next.as_deref());
    let previous = presented_session(headers);
    let outcome = portal.app.sign_in(&form.login, &form.password, client, previous.as_deref()).await;
    let again = |status, error: String| {
        let login = form.login.trim().to_owned();
        page(status, &LoginPage { frame: frame.clone(), login, next: next.clone(), notice: None, error: Some(error) })
    };
    match outcome {
        Ok(session) => start_session(&portal, &session, next.as_deref().unwrap_or(HOME)),
        // One message for an unknown login, a wrong password and an
        // account that may not sign in, so the page never tells which.
        Err(AppError::InvalidCredentials) => again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That user ID or e-mail and password do not match an account that can sign in. Check both and try \
             again."
                .to_owned(),
        ),
        Err(AppError::RateLimited { retry_after }) => {
            let mut response = again(StatusCode::TOO_MANY_REQUESTS, wait_message(retry_after));
            set_retry_after(&mut response, retry_after);
            response
        }
        Err(error) => failure(error, frame),
    }
}

/// Sets the new session's cookie and moves on.
fn start_session(portal: &Portal, session: &SessionIssued, to: &str) -> Response {
    let mut response = see_other(to);
    append_cookie(&mut response, &portal.cookies.issue(session, portal.app.clock().now()));
    response
}

// ---- Sign-out ------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SignOutForm {
    csrf_token: String,
}

#[handler]
pub(super) async fn logout(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    headers: &HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !verifier.is_valid(&form.csrf_token) {
        return form_expired(Frame::public("Sign out", csrf), HOME);
    }
    if let Some(secret) = presented_session(headers)
        && let Err(error) = portal.app.sign_out(&secret).await
    {
        // The browser forgets the session below either way; the record
        // expires on its own.
        tracing::warn!(%error, "session could not be ended in storage");
    }
    let mut response = see_other(&format!("{LOGIN}?notice=signed_out"));
    append_cookie(&mut response, &portal.cookies.clear());
    response
}

// ---- One-time sign-in links ---------------------------------------------------

#[derive(Template)]
#[template(path = "pages/login_link_request.html")]
struct LoginLinkRequestPage {
    frame: Frame,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/login_link_confirm.html")]
struct LoginLinkConfirmPage {
    frame: Frame,
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TokenQuery {
    token: Option<String>,
}

/// The request form posts `email`; the button on a link page posts `token`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginLinkForm {
    csrf_token: String,
    email: String,
    token: Option<String>,
}

fn presented_token(token: Option<&str>) -> Option<&str> {
    token.map(str::trim).filter(|token| !token.is_empty())
}

/// Without a token: the form that asks for a link. With one: a button that
/// uses it, if it is still good.
#[handler]
pub(super) async fn login_link_page(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    Query(query): Query<TokenQuery>,
) -> Response {
    let Some(token) = presented_token(query.token.as_deref()) else {
        let form = LoginLinkRequestPage {
            frame: Frame::public("Sign in with an e-mail link", csrf),
            email: String::new(),
            error: None,
        };
        return page(StatusCode::OK, &form);
    };
    let response = match portal.app.login_link_is_live(token).await {
        Ok(true) => page(
            StatusCode::OK,
            &LoginLinkConfirmPage { frame: Frame::public("Sign in", csrf), token: token.to_owned() },
        ),
        Ok(false) => dead_login_link(csrf),
        Err(error) => failure(error, Frame::public("Sign in", csrf)),
    };
    token_page(response)
}

#[handler]
pub(super) async fn login_link(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    ClientAddress(client): ClientAddress,
    headers: &HeaderMap,
    Form(form): Form<LoginLinkForm>,
) -> Response {
    let token = presented_token(form.token.as_deref());
    if !verifier.is_valid(&form.csrf_token) {
        let frame = Frame::public("Sign in", csrf);
        return match token {
            Some(token) => {
                token_page(form_expired(frame, &format!("{LOGIN_LINK}?token={}", super::url_component(token))))
            }
            None => form_expired(frame, LOGIN_LINK),
        };
    }
    match token {
        Some(token) => token_page(use_login_link(&portal, csrf, token, headers).await),
        None => request_login_link(&portal, csrf, client, form.email).await,
    }
}

async fn use_login_link(portal: &Portal, csrf: &CsrfToken, token: &str, headers: &HeaderMap) -> Response {
    let previous = presented_session(headers);
    match portal.app.sign_in_with_link(token, previous.as_deref()).await {
        Ok(session) => start_session(portal, &session, HOME),
        Err(AppError::InvalidCredentials) => dead_login_link(csrf),
        Err(error) => failure(error, Frame::public("Sign in", csrf)),
    }
}

async fn request_login_link(portal: &Portal, csrf: &CsrfToken, client: Option<IpAddr>, email: String) -> Response {
    let frame = Frame::public("Sign in with an e-mail link", csrf);
    let again = |status, error: String| {
        let email = email.trim().to_owned();
        page(status, &LoginLinkRequestPage { frame: frame.clone(), email, error: Some(error) })
    };
    match portal.app.request_login_link(&email, client).await {
        // The same answer whether or not the address has an account.
        Ok(()) => message(
            StatusCode::OK,
            Frame { title: "Check your e-mail".to_owned(), ..frame.clone() },
            &[
                "If that address belongs to an account, we have sent it a link: one that signs you in, or, if you \
                 have not chosen a password yet, one to choose it.",
                "A sign-in link works once, within 15 minutes; a password link within 24 hours. If nothing arrives, \
                 check your spam folder or ask your forwarder.",
            ],
            Action::to(LOGIN, "Back to sign-in"),
        ),
        Err(AppError::Invalid(_)) => {
            again(StatusCode::UNPROCESSABLE_ENTITY, "Enter an e-mail address such as name@company.com.".to_owned())
        }
        Err(AppError::RateLimited { retry_after }) => {
            let mut response = again(StatusCode::TOO_MANY_REQUESTS, wait_message(retry_after));
            set_retry_after(&mut response, retry_after);
            response
        }
        Err(error) => failure(error, frame.clone()),
    }
}

fn dead_login_link(csrf: &CsrfToken) -> Response {
    message(
        StatusCode::GONE,
        Frame::public("This sign-in link is no longer valid", csrf),
        &[
            "Sign-in links work once, within 15 minutes of being sent. Ask for a new one, or sign in with your password.",
        ],
        Action::to(LOGIN_LINK, "Send me a new link"),
    )
}

// ---- Password setup -------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/set_password.html")]
struct SetPasswordPage {
    frame: Frame,
    token: String,
    min_length: usize,
    error: Option<String>,
    /// Which input the error is about: `password` or `password_confirmation`.
    error_field: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SetPasswordForm {
    csrf_token: String,
    token: String,
    password: String,
    password_confirmation: String,
}

#[handler]
pub(super) async fn set_password_page(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    Query(query): Query<TokenQuery>,
) -> Response {
    let Some(token) = presented_token(query.token.as_deref()) else {
        return token_page(dead_setup_link(csrf));
    };
    let response = match portal.app.password_setup_is_live(token).await {
        Ok(true) => page(StatusCode::OK, &setup_form(&portal, csrf, token, None)),
        Ok(false) => dead_setup_link(csrf),
        Err(error) => failure(error, Frame::public("Choose your password", csrf)),
    };
    token_page(response)
}

#[handler]
pub(super) async fn set_password(
    portal: Data<&Portal>,
    csrf: &CsrfToken,
    verifier: &CsrfVerifier,
    Form(form): Form<SetPasswordForm>,
) -> Response {
    let token = form.token.trim();
    if !verifier.is_valid(&form.csrf_token) {
        let retry = format!("{SET_PASSWORD}?token={}", super::url_component(token));
        return token_page(form_expired(Frame::public("Choose your password", csrf), &retry));
    }
    let outcome = portal.app.complete_password_setup(token, &form.password, &form.password_confirmation).await;
    let response = match outcome {
        Ok(()) => see_other(&format!("{LOGIN}?notice=password_set")),
        Err(AppError::Invalid(refused)) => {
            let error = match refused.field.as_str() {
                "password_confirmation" => "The two passwords do not match. Type the same password twice.".to_owned(),
                _ => format!("The password {}.", refused.message),
            };
            page(StatusCode::UNPROCESSABLE_ENTITY, &setup_form(&portal, csrf, token, Some((refused.field, error))))
        }
        Err(AppError::InvalidCredentials) => dead_setup_link(csrf),
        Err(error) => failure(error, Frame::public("Choose your password", csrf)),
    };
    token_page(response)
}

fn setup_form(portal: &Portal, csrf: &CsrfToken, token: &str, error: Option<(String, String)>) -> SetPasswordPage {
    let (error_field, error) = match error {
        Some((field, text)) => (field, Some(text)),
        None => (String::new(), None),
    };
    SetPasswordPage {
        frame: Frame::public("Choose your password", csrf),
        token: token.to_owned(),
        min_length: portal.app.settings().min_password_length,
        error,
        error_field,
    }
}

fn dead_setup_link(csrf: &CsrfToken) -> Response {
    message(
        StatusCode::GONE,
        Frame::public("This link is no longer valid", csrf),
        &[
            "Password links work once, within 24 hours, and only the newest one sent to you counts.",
            "If you have already chosen a password, sign in with it. If not, ask for a new link: we will e-mail \
             you one to choose your password.",
        ],
        Action::to(LOGIN_LINK, "Send me a new link"),
    )
}
